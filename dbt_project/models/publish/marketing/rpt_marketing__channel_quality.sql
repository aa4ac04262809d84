{#- Per acquisition channel: how many customers it brought, how many bought,
    stayed and churned, their value, and how purchase cohorts of the channel
    kept buying 1 and 3 months after their first order. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

customer_value as (
    select * from {{ ref('fct_customer_value') }}
),

retention as (
    select * from {{ ref('fct_cohort_retention') }}
    where cohort_type = 'purchase'
        and breakdown = 'acquisition_channel'
        and is_complete_month
        and months_since_start in (1, 3)
),

per_channel as (
    select
        coalesce(customers.acquisition_channel, 'unknown')
            as acquisition_channel,
        count(*) as customers,
        sum(case when customers.order_count > 0 then 1 else 0 end) as buyers,
        sum(
            case
                when customers.lifecycle_stage
                    in ('new', 'active', 'reactivated')
                    then 1 else 0
            end
        ) as engaged_customers,
        sum(case when customers.lifecycle_stage = 'churned' then 1 else 0 end)
            as churned_customers,
        sum(customer_value.historical_clv_usd) as historical_clv_usd,
        sum(customer_value.predicted_clv_usd) as predicted_clv_usd
    from customers
    left join customer_value
        on customers.customer_id = customer_value.customer_id
    group by coalesce(customers.acquisition_channel, 'unknown')
),

{#- Retention pooled over the channel's complete cohort months. #}
channel_retention as (
    select
        acquisition_channel,
        sum(case when months_since_start = 1 then retained_customers end)
            as retained_m1,
        sum(case when months_since_start = 1 then cohort_size end)
            as cohort_size_m1,
        sum(case when months_since_start = 3 then retained_customers end)
            as retained_m3,
        sum(case when months_since_start = 3 then cohort_size end)
            as cohort_size_m3
    from retention
    group by acquisition_channel
),

final as (
    select
        per_channel.acquisition_channel,
        cast(per_channel.customers as bigint) as customers,
        cast(per_channel.buyers as bigint) as buyers,
        {% call lifecycle.decimal_of(7, 4) -%}
            1.0 * per_channel.buyers / per_channel.customers
        {%- endcall %} as buyer_share,
        cast(per_channel.engaged_customers as bigint) as engaged_customers,
        cast(per_channel.churned_customers as bigint) as churned_customers,
        {% call lifecycle.decimal_of(7, 4) -%}
            case
                when per_channel.buyers > 0
                    then 1.0 * per_channel.churned_customers
                    / per_channel.buyers
            end
        {%- endcall %} as churned_share_of_buyers,
        cast(per_channel.historical_clv_usd as decimal(18, 2))
            as historical_clv_usd,
        {% call lifecycle.decimal_of(18, 2) -%}
            case
                when per_channel.buyers > 0
                    then per_channel.historical_clv_usd / per_channel.buyers
            end
        {%- endcall %} as historical_clv_per_buyer_usd,
        {% call lifecycle.decimal_of(18, 2) -%}
            case
                when per_channel.buyers > 0
                    then per_channel.predicted_clv_usd / per_channel.buyers
            end
        {%- endcall %} as predicted_clv_per_buyer_usd,
        {% call lifecycle.decimal_of(7, 4) -%}
            case
                when channel_retention.cohort_size_m1 > 0
                    then 1.0 * channel_retention.retained_m1
                    / channel_retention.cohort_size_m1
            end
        {%- endcall %} as purchase_retention_month_1,
        {% call lifecycle.decimal_of(7, 4) -%}
            case
                when channel_retention.cohort_size_m3 > 0
                    then 1.0 * channel_retention.retained_m3
                    / channel_retention.cohort_size_m3
            end
        {%- endcall %} as purchase_retention_month_3,
        {{ lifecycle.as_of_date() }} as as_of_date
    from per_channel
    left join channel_retention
        on per_channel.acquisition_channel
        = channel_retention.acquisition_channel
)

select * from final
