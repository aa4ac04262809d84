{#- One row per customer: value decile, churn risk and the next best action
    for sales, by the rule of config/lifecycle.yml `next_best_action` (first
    rule that applies wins; doc next_best_action). -#}
{%- set high_value_deciles =
    var('lifecycle__next_best_action_high_value_deciles') | int -%}
{%- set upsell_min_p_alive =
    var('lifecycle__next_best_action_upsell_min_p_alive') | float -%}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

customer_value as (
    select * from {{ ref('fct_customer_value') }}
),

risk as (
    select * from {{ ref('fct_churn_risk_scores') }}
),

{#- Deciles of the customers with any value, 1 = the top tenth by total CLV;
    equal values share a rank (and so a decile), as the RFM scores do. #}
valued as (
    select
        customer_id,
        total_clv_usd,
        rank() over (order by total_clv_usd desc) as value_rank,
        count(*) over () as valued_customers
    from customer_value
    where total_clv_usd > 0
),

deciles as (
    select
        customer_id,
        cast(
            floor(10.0 * (value_rank - 1) / valued_customers) + 1 as integer
        ) as value_decile
    from valued
),

joined as (
    select
        customers.customer_id,
        customers.lifecycle_stage,
        risk.risk_score,
        risk.risk_level,
        customer_value.historical_clv_usd,
        customer_value.predicted_clv_usd,
        customer_value.total_clv_usd,
        customer_value.p_alive,
        deciles.value_decile,
        coalesce(deciles.value_decile <= {{ high_value_deciles }}, false)
            as is_high_value
    from customers
    left join customer_value
        on customers.customer_id = customer_value.customer_id
    left join risk
        on customers.customer_id = risk.customer_id
    left join deciles
        on customers.customer_id = deciles.customer_id
),

actions as (
    select
        *,
        case
            when is_high_value
                and (lifecycle_stage = 'at_risk' or risk_level = 'high')
                then 'call_to_save'
            when is_high_value and lifecycle_stage = 'churned'
                then 'win_back_offer'
            when lifecycle_stage = 'new' then 'onboarding_call'
            when is_high_value
                and lifecycle_stage in ('active', 'reactivated')
                and p_alive >= {{ upsell_min_p_alive }}
                then 'upsell'
            when lifecycle_stage = 'prospect' then 'first_purchase_offer'
            else 'no_action'
        end as next_best_action
    from joined
),

final as (
    select
        customer_id,
        lifecycle_stage,
        risk_score,
        risk_level,
        historical_clv_usd,
        predicted_clv_usd,
        total_clv_usd,
        p_alive,
        value_decile,
        is_high_value,
        next_best_action,
        cast(
            case next_best_action
                when 'call_to_save' then 1
                when 'win_back_offer' then 2
                when 'onboarding_call' then 3
                when 'upsell' then 4
                when 'first_purchase_offer' then 5
                else 6
            end as integer
        ) as action_rank
    from actions
)

select * from final
