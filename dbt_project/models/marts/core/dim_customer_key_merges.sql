{#- One row per retired customer key as of the as-of date, with the key its customer has
    now: join history stored under an old key through here. -#}
with

moves as (
    select * from {{ ref('int_customer_key_merges') }}
    where merged_on <= {{ lifecycle.as_of_date() }}
),

ranked as (
    select
        *,
        min(merged_on) over (partition by old_customer_id) as first_merged_on,
        row_number() over (
            partition by old_customer_id
            order by merged_on desc, new_customer_id
        ) as recency_rank
    from moves
),

final as (
    select
        old_customer_id,
        new_customer_id as customer_id,
        first_merged_on as merged_on
    from ranked
    where recency_rank = 1
)

select * from final
