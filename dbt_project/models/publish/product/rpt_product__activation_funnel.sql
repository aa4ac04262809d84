{#- Of the app users who signed up by the as-of date, how many went on to log
    in, then to use a feature, then to buy (each step counts only users who
    reached the step before it). -#}
with

events as (
    select * from {{ ref('stg_app__events') }}
    where event_date <= {{ lifecycle.as_of_date() }}
),

app_users as (
    select * from {{ ref('int_customers_matched') }}
    where source_system = 'app'
),

customers as (
    select * from {{ ref('dim_customers') }}
),

per_user as (
    select
        app_user_id,
        max(case when event_name = 'sign_up' then 1 else 0 end) as signed_up,
        max(case when event_name = 'login' then 1 else 0 end) as logged_in,
        max(case when event_name = 'feature_used' then 1 else 0 end)
            as used_feature
    from events
    group by app_user_id
),

with_purchase as (
    select
        per_user.app_user_id,
        per_user.logged_in,
        per_user.used_feature,
        case when customers.order_count > 0 then 1 else 0 end as purchased
    from per_user
    left join app_users
        on per_user.app_user_id = app_users.record_id
    left join customers
        on app_users.customer_id = customers.customer_id
    where per_user.signed_up = 1
),

totals as (
    select
        count(*) as signed_up,
        coalesce(sum(logged_in), 0) as logged_in,
        coalesce(sum(logged_in * used_feature), 0) as used_feature,
        coalesce(sum(logged_in * used_feature * purchased), 0) as purchased
    from with_purchase
),

steps as (
    select
        1 as step_order,
        'sign_up' as step_name,
        signed_up as users,
        signed_up as previous_users,
        signed_up as signed_up_users
    from totals
    union all
    select 2, 'first_login', logged_in, signed_up, signed_up from totals
    union all
    select 3, 'first_feature_use', used_feature, logged_in, signed_up
    from totals
    union all
    select 4, 'first_purchase', purchased, used_feature, signed_up from totals
),

final as (
    select
        cast(step_order as integer) as step_order,
        cast(step_name as {{ dbt.type_string() }}) as step_name,
        cast(users as bigint) as users,
        cast(
            case
                when signed_up_users > 0 then 1.0 * users / signed_up_users
            end as decimal(7, 4)
        ) as share_of_sign_ups,
        cast(
            case
                when previous_users > 0 then 1.0 * users / previous_users
            end as decimal(7, 4)
        ) as share_of_previous_step,
        {{ lifecycle.as_of_date() }} as as_of_date
    from steps
)

select * from final
