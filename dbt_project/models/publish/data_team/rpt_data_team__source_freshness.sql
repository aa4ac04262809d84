{#- Is every source table arriving, on time and in the usual volume?
    (fct_source_freshness) -#}
with

freshness as (
    select * from {{ ref('fct_source_freshness') }}
),

final as (
    select
        source_system,
        source_table,
        first_delivery_date,
        latest_delivery_date,
        days_behind,
        deliveries,
        latest_delivery_rows,
        prior_7d_deliveries,
        prior_7d_avg_rows,
        latest_vs_prior_7d_avg,
        as_of_date
    from freshness
)

select * from final
