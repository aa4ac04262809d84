{#- One row per customer who was current (stage not prospect or churned) on the
    backtest cutoff, the as-of date minus churn_risk.backtest_horizon_days: the
    score they got from what was known on the cutoff (same macro as the live
    scores), their risk decile among all customers scored then, and whether they
    entered `churned` after the cutoff, by the as-of date. -#}
{%- set settings = lifecycle.churn_risk_settings() -%}
{%- set horizon = settings['backtest_horizon_days'] | int -%}
{%- set cutoff = lifecycle.churn_risk_days_before(
    lifecycle.as_of_date(), horizon) -%}
with

scores as (
    {{ lifecycle.churn_risk_scores(cutoff) }}
),

churn_entries as (
    select * from {{ ref('fct_stage_transitions') }}
    where to_stage = 'churned'
        and transition_date > {{ cutoff }}
        and transition_date <= {{ lifecycle.as_of_date() }}
),

first_churn as (
    select
        customer_id,
        min(transition_date) as churned_date
    from churn_entries
    group by customer_id
),

{#- Decile 1 holds the highest scores; equal scores are split by customer_id
    (a hash, so effectively at random). #}
deciled as (
    select
        scores.*,
        ntile(10) over (
            order by scores.risk_score desc, scores.customer_id
        ) as risk_decile,
        first_churn.churned_date
    from scores
    left join first_churn
        on scores.customer_id = first_churn.customer_id
),

final as (
    select
        customer_id,
        scoring_date as cutoff_date,
        {{ lifecycle.as_of_date() }} as as_of_date,
        lifecycle_stage,
        risk_score,
        risk_level,
        cast(risk_decile as integer) as risk_decile,
        reason_count,
        top_reason_code,
        reasons,
        days_since_last_activity,
        recent_active_days,
        previous_active_days,
        recent_spend_usd,
        previous_spend_usd,
        open_ticket_count,
        lowest_recent_csat,
        churned_date,
        churned_date is not null as is_churned_in_horizon
    from deciled
)

select * from final
