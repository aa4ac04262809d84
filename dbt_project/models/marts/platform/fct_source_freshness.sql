{#- One row per source table: its latest delivery up to the as-of date, how
    many days that is behind, and that delivery's rows against the average of
    the 7 days before it. -#}
with

deliveries as (
    select * from {{ ref('stg_raw__deliveries') }}
),

latest as (
    select
        source_system,
        source_table,
        min(delivery_date) as first_delivery_date,
        max(delivery_date) as latest_delivery_date,
        count(*) as deliveries
    from deliveries
    group by source_system, source_table
),

{#- The 7 calendar days before the latest delivery, from the table's first
    delivery on; a day without a delivery counts as 0 rows. #}
prior_week as (
    select
        latest.source_system,
        latest.source_table,
        sum(deliveries.delivered_rows) as prior_rows,
        count(deliveries.delivery_date) as prior_deliveries
    from latest
    left join deliveries
        on latest.source_system = deliveries.source_system
        and latest.source_table = deliveries.source_table
        and deliveries.delivery_date < latest.latest_delivery_date
        and deliveries.delivery_date >= {{ dbt.dateadd(
            'day', -7, 'latest.latest_delivery_date') }}
    group by latest.source_system, latest.source_table
),

joined as (
    select
        latest.source_system,
        latest.source_table,
        latest.first_delivery_date,
        latest.latest_delivery_date,
        latest.deliveries,
        deliveries.delivered_rows as latest_delivery_rows,
        prior_week.prior_rows,
        prior_week.prior_deliveries,
        {#- Days of the prior week on or after the first delivery. #}
        case
            when {{ dbt.datediff(
                'latest.first_delivery_date',
                'latest.latest_delivery_date', 'day') }} < 7
                then {{ dbt.datediff(
                    'latest.first_delivery_date',
                    'latest.latest_delivery_date', 'day') }}
            else 7
        end as prior_days
    from latest
    inner join deliveries
        on latest.source_system = deliveries.source_system
        and latest.source_table = deliveries.source_table
        and latest.latest_delivery_date = deliveries.delivery_date
    inner join prior_week
        on latest.source_system = prior_week.source_system
        and latest.source_table = prior_week.source_table
),

final as (
    select
        source_system,
        source_table,
        first_delivery_date,
        latest_delivery_date,
        cast(
            {{ dbt.datediff(
                'latest_delivery_date', lifecycle.as_of_date(), 'day') }}
            as integer
        ) as days_behind,
        cast(deliveries as bigint) as deliveries,
        cast(latest_delivery_rows as bigint) as latest_delivery_rows,
        cast(prior_deliveries as bigint) as prior_7d_deliveries,
        {% call lifecycle.decimal_of(18, 2) -%}
            case
                when prior_days > 0
                    then 1.0 * coalesce(prior_rows, 0) / prior_days
            end
        {%- endcall %} as prior_7d_avg_rows,
        {% call lifecycle.decimal_of(10, 4) -%}
            case
                when prior_days > 0 and coalesce(prior_rows, 0) > 0
                    then 1.0 * latest_delivery_rows * prior_days / prior_rows
            end
        {%- endcall %} as latest_vs_prior_7d_avg,
        {{ lifecycle.as_of_date() }} as as_of_date
    from joined
)

select * from final
