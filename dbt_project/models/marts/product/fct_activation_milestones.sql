{#- One row per customer who signed up in the app by the as-of date: the day
    they reached each activation milestone in funnel order, whether they logged
    in within the early-login window, and whether they churned within the
    outcome window after signing up. -#}
{%- set login_window = lifecycle.lifecycle_days(
    'activation_login_window_days') -%}
{%- set outcome_days = lifecycle.lifecycle_days(
    'activation_churn_outcome_days') -%}
with

{#- The app's events per user, name and day (int_app_user_event_days), delivered and
    happened by the as-of date: the milestones need only which days had which events. #}
events as (
    select * from {{ ref('int_app_user_event_days') }}
    where delivery_date <= {{ lifecycle.as_of_date() }}
        and event_date <= {{ lifecycle.as_of_date() }}
),

app_users as (
    select * from {{ ref('int_customers_matched') }}
    where source_system = 'app'
),

orders as (
    select * from {{ ref('fct_orders') }}
    where customer_id is not null
        and status <> 'cancelled'
        and placed_date <= {{ lifecycle.as_of_date() }}
),

churn_entries as (
    select * from {{ ref('fct_stage_transitions') }}
    where to_stage = 'churned'
        and transition_date <= {{ lifecycle.as_of_date() }}
),

customer_events as (
    select
        app_users.customer_id,
        events.event_name,
        events.event_date
    from events
    inner join app_users
        on events.app_user_id = app_users.record_id
),

sign_ups as (
    select
        customer_id,
        min(event_date) as signed_up_date
    from customer_events
    where event_name = 'sign_up'
    group by customer_id
),

events_since_sign_up as (
    select
        customer_events.customer_id,
        customer_events.event_name,
        customer_events.event_date
    from customer_events
    inner join sign_ups
        on customer_events.customer_id = sign_ups.customer_id
        and customer_events.event_date >= sign_ups.signed_up_date
),

first_events as (
    select
        customer_id,
        min(case when event_name = 'login' then event_date end)
            as first_login_date,
        min(case when event_name = 'feature_used' then event_date end)
            as first_feature_use_date
    from events_since_sign_up
    group by customer_id
),

{#- A day of use: a login, session or feature use (product usage, whatever
    config/lifecycle.yml counts as lifecycle activity). #}
use_days as (
    select distinct
        customer_id,
        event_date
    from events_since_sign_up
    where event_name in ('login', 'session', 'feature_used')
),

numbered_use_days as (
    select
        customer_id,
        event_date,
        row_number() over (
            partition by customer_id order by event_date
        ) as use_day_number
    from use_days
),

third_use_days as (
    select
        customer_id,
        event_date as third_use_day
    from numbered_use_days
    where use_day_number = 3
),

first_orders as (
    select
        orders.customer_id,
        min(orders.placed_date) as first_order_date
    from orders
    inner join sign_ups
        on orders.customer_id = sign_ups.customer_id
        and orders.placed_date >= sign_ups.signed_up_date
    group by orders.customer_id
),

later_churn as (
    select
        churn_entries.customer_id,
        min(churn_entries.transition_date) as churned_date
    from churn_entries
    inner join sign_ups
        on churn_entries.customer_id = sign_ups.customer_id
        and churn_entries.transition_date > sign_ups.signed_up_date
    group by churn_entries.customer_id
),

joined as (
    select
        sign_ups.customer_id,
        sign_ups.signed_up_date,
        first_events.first_login_date,
        first_events.first_feature_use_date,
        third_use_days.third_use_day,
        first_orders.first_order_date,
        later_churn.churned_date
    from sign_ups
    left join first_events
        on sign_ups.customer_id = first_events.customer_id
    left join third_use_days
        on sign_ups.customer_id = third_use_days.customer_id
    left join first_orders
        on sign_ups.customer_id = first_orders.customer_id
    left join later_churn
        on sign_ups.customer_id = later_churn.customer_id
),

{#- A step is reached on the day its milestone and every earlier step have
    happened: the later of the two dates, null when either is missing (each
    case guards both, as greatest() skips nulls on some engines). #}
key_action_reached as (
    select
        *,
        case
            when first_login_date is not null
                and first_feature_use_date is not null
                then greatest(first_login_date, first_feature_use_date)
        end as key_action_date
    from joined
),

third_use_reached as (
    select
        *,
        case
            when key_action_date is not null
                and third_use_day is not null
                then greatest(key_action_date, third_use_day)
        end as third_use_date
    from key_action_reached
),

purchase_reached as (
    select
        *,
        case
            when third_use_date is not null
                and first_order_date is not null
                then greatest(third_use_date, first_order_date)
        end as first_purchase_date
    from third_use_reached
),

final as (
    select
        customer_id,
        signed_up_date,
        cast({{ dbt.date_trunc('month', 'signed_up_date') }} as date)
            as signup_cohort_month,
        first_login_date,
        key_action_date as first_key_action_date,
        third_use_date,
        first_purchase_date,
        coalesce(
            {{ dbt.datediff('signed_up_date', 'first_login_date', 'day') }}
            <= {{ login_window }},
            false
        ) as has_login_in_window,
        {{ dbt.datediff('signed_up_date', lifecycle.as_of_date(), 'day') }}
        >= {{ outcome_days }} as is_churn_judged,
        churned_date,
        coalesce(
            {{ dbt.datediff('signed_up_date', 'churned_date', 'day') }}
            <= {{ outcome_days }},
            false
        ) as is_churned_in_outcome_window,
        {{ lifecycle.as_of_date() }} as as_of_date
    from purchase_reached
)

select * from final
