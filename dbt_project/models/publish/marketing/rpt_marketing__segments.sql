{#- Segment sizes and value: lifecycle stage x acquisition channel, so marketing
    sees whom to win back and which channel brings customers that stay. -#}
with

audience as (
    select * from {{ ref('rpt_marketing__audience') }}
),

final as (
    select
        lifecycle_stage,
        acquisition_channel,
        cast(count(*) as bigint) as customers,
        cast(sum(case when is_contactable then 1 else 0 end) as bigint)
            as contactable_customers,
        cast(sum(case when order_count > 0 then 1 else 0 end) as bigint)
            as buyers,
        cast(sum(net_revenue_usd) as decimal(18, 2)) as net_revenue_usd,
        cast(avg(net_revenue_usd) as decimal(18, 2))
            as avg_net_revenue_usd,
        {{ lifecycle.as_of_date() }} as as_of_date
    from audience
    group by lifecycle_stage, acquisition_channel
)

select * from final
