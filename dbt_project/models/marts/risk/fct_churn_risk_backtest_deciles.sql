{#- One row per risk decile of the backtest (1 = highest scores on the cutoff):
    customers, how many entered `churned` by the as-of date, the churn rate, and
    the lift over the base rate of all customers scored on the cutoff. -#}
with

backtest as (
    select * from {{ ref('fct_churn_risk_backtest') }}
),

overall as (
    select
        count(*) as customers,
        sum(case when is_churned_in_horizon then 1 else 0 end)
            as churned_customers
    from backtest
),

deciles as (
    select
        risk_decile,
        min(cutoff_date) as cutoff_date,
        min(as_of_date) as as_of_date,
        count(*) as customers,
        sum(case when is_churned_in_horizon then 1 else 0 end)
            as churned_customers,
        min(risk_score) as min_risk_score,
        max(risk_score) as max_risk_score
    from backtest
    group by risk_decile
),

cumulative as (
    select
        *,
        sum(churned_customers) over (
            order by risk_decile
            rows between unbounded preceding and current row
        ) as churned_customers_to_decile
    from deciles
),

final as (
    select
        cumulative.risk_decile,
        cumulative.cutoff_date,
        cumulative.as_of_date,
        cast(cumulative.customers as bigint) as customers,
        cast(cumulative.churned_customers as bigint) as churned_customers,
        {% call lifecycle.decimal_of(7, 4) -%}
            1.0 * cumulative.churned_customers / cumulative.customers
        {%- endcall %} as churn_rate,
        {% call lifecycle.decimal_of(7, 4) -%}
            1.0 * overall.churned_customers / overall.customers
        {%- endcall %} as base_churn_rate,
        {% call lifecycle.decimal_of(9, 4) -%}
            case
                when overall.churned_customers > 0
                    then (1.0 * cumulative.churned_customers
                        / cumulative.customers)
                    / (1.0 * overall.churned_customers / overall.customers)
            end
        {%- endcall %} as lift,
        {% call lifecycle.decimal_of(7, 4) -%}
            case
                when overall.churned_customers > 0
                    then 1.0 * cumulative.churned_customers_to_decile
                    / overall.churned_customers
            end
        {%- endcall %} as cumulative_share_of_churned,
        cumulative.min_risk_score,
        cumulative.max_risk_score
    from cumulative
    cross join overall
)

select * from final
