{#- One row per customer per day with activity, up to the as-of date: the history the
    lifecycle stages are computed from. A view of int_customer_activity_history, which
    applies the activity rules and is kept incrementally: its active rows, without the
    columns its incremental runs keep for themselves. -#}
{{ config(materialized='view') }}
with

history as (
    select * from {{ ref('int_customer_activity_history') }}
),

final as (
    select
        customer_id,
        activity_date,
        orders,
        app_events,
        support_tickets,
        active_account_peers
    from history
    where {{ lifecycle.has_activity() }}
)

select * from final
