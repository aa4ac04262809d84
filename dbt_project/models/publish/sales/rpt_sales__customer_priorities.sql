{#- CRM-owned customers in the order sales should call them: by next best
    action (fct_customer_next_best_action), then the most valuable first, with
    stage, churn risk, value, owner and how to reach them. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
    where contact_id is not null
),

actions as (
    select * from {{ ref('fct_customer_next_best_action') }}
),

risk as (
    select * from {{ ref('fct_churn_risk_scores') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

owners as (
    select * from {{ ref('dim_owners') }}
),

joined as (
    select
        customers.customer_id,
        customers.contact_id,
        customers.email,
        customers.phone,
        customers.first_name,
        customers.last_name,
        customers.account_id,
        accounts.account_name,
        coalesce(customers.owner_id, accounts.owner_id) as owner_id,
        owners.owner_name,
        owners.team as owner_team,
        customers.lifecycle_stage,
        customers.stage_since,
        actions.next_best_action,
        actions.action_rank,
        risk.risk_score,
        risk.risk_level,
        risk.reasons as churn_risk_reasons,
        actions.historical_clv_usd,
        actions.predicted_clv_usd,
        actions.total_clv_usd,
        actions.p_alive,
        actions.value_decile,
        customers.order_count,
        cast(customers.last_order_at as date) as last_order_date,
        customers.days_since_last_activity,
        customers.open_ticket_count
    from customers
    inner join actions
        on customers.customer_id = actions.customer_id
    left join risk
        on customers.customer_id = risk.customer_id
    left join accounts
        on customers.account_id = accounts.account_id
    left join owners
        on coalesce(customers.owner_id, accounts.owner_id) = owners.owner_id
),

final as (
    select
        cast(
            row_number() over (
                order by
                    action_rank,
                    total_clv_usd desc,
                    risk_score desc,
                    customer_id
            ) as integer
        ) as call_priority,
        next_best_action,
        customer_id,
        contact_id,
        email,
        phone,
        first_name,
        last_name,
        account_id,
        account_name,
        owner_id,
        owner_name,
        owner_team,
        lifecycle_stage,
        stage_since,
        cast(risk_score as integer) as risk_score,
        risk_level,
        churn_risk_reasons,
        cast(historical_clv_usd as decimal(18, 2)) as historical_clv_usd,
        cast(predicted_clv_usd as decimal(18, 2)) as predicted_clv_usd,
        cast(p_alive as {{ lifecycle.type_double() }}) as p_alive,
        value_decile,
        order_count,
        last_order_date,
        days_since_last_activity,
        open_ticket_count,
        {{ lifecycle.as_of_date() }} as as_of_date
    from joined
)

select * from final
