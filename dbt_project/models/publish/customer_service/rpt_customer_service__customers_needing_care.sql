{#- Current customers (scored for churn risk) with a ticket open or a recent
    low satisfaction score, at-risk and valuable first, with the churn risk
    reasons. Holds contact details (customer service calls them). -#}
with

risk as (
    select * from {{ ref('fct_churn_risk_scores') }}
    where open_ticket_points > 0
        or low_csat_points > 0
),

customers as (
    select * from {{ ref('dim_customers') }}
),

actions as (
    select * from {{ ref('fct_customer_next_best_action') }}
),

joined as (
    select
        risk.customer_id,
        customers.email,
        customers.phone,
        customers.first_name,
        customers.last_name,
        case
            when risk.open_ticket_points > 0 and risk.low_csat_points > 0
                then 'open_ticket_and_low_csat'
            when risk.open_ticket_points > 0 then 'open_ticket'
            else 'low_csat'
        end as care_reason,
        risk.lifecycle_stage,
        risk.risk_score,
        risk.risk_level,
        case risk.risk_level
            when 'high' then 1
            when 'medium' then 2
            else 3
        end as risk_level_rank,
        risk.top_reason_code,
        risk.reasons as churn_risk_reasons,
        risk.open_ticket_count,
        risk.lowest_recent_csat,
        customers.ticket_count,
        customers.avg_csat,
        actions.historical_clv_usd,
        actions.predicted_clv_usd,
        actions.total_clv_usd,
        actions.value_decile,
        actions.is_high_value,
        risk.last_activity_date
    from risk
    inner join customers
        on risk.customer_id = customers.customer_id
    left join actions
        on risk.customer_id = actions.customer_id
),

final as (
    select
        cast(
            row_number() over (
                order by
                    risk_level_rank,
                    total_clv_usd desc,
                    risk_score desc,
                    customer_id
            ) as integer
        ) as care_priority,
        customer_id,
        email,
        phone,
        first_name,
        last_name,
        care_reason,
        lifecycle_stage,
        cast(risk_score as integer) as risk_score,
        risk_level,
        top_reason_code,
        churn_risk_reasons,
        cast(open_ticket_count as integer) as open_ticket_count,
        cast(lowest_recent_csat as integer) as lowest_recent_csat,
        ticket_count,
        avg_csat,
        cast(historical_clv_usd as decimal(18, 2)) as historical_clv_usd,
        cast(predicted_clv_usd as decimal(18, 2)) as predicted_clv_usd,
        value_decile,
        coalesce(is_high_value, false) as is_high_value,
        last_activity_date,
        {{ lifecycle.as_of_date() }} as as_of_date
    from joined
)

select * from final
