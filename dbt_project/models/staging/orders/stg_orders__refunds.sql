{{ lifecycle.require_usd_reporting() }}
{#- The latest version of each refund (by refunded_at) delivered by the as-of date, in US
    dollars too. Incremental like stg_orders__orders (macros/incremental.sql,
    latest_version_incremental). -#}
{{ config(**lifecycle.latest_version_incremental(
    'refund_id', 'base_orders__refund_versions'
)) }}
with

source as (
    select * from {{ ref('base_orders__refund_versions') }} as versions
    where delivery_date <= {{ lifecycle.as_of_date() }}
        {{ lifecycle.missing_records_only('refund_id', 'versions') }}
),

rates as (
    select * from {{ ref('currency_rates') }}
),

versioned as (
    select
        *,
        {{ lifecycle.latest_first(
            'refund_id', 'refunded_at', 'delivery_date', 'delivery_line'
        ) }} as version_rank,
        min(delivery_date) over (partition by refund_id) as first_delivered_on
    from source
),

latest as (
    select * from versioned
    where version_rank = 1
),

final as (
    select
        latest.refund_id,
        latest.order_id,
        latest.refund_amount,
        latest.currency,
        cast(
            latest.refund_amount * rates.usd_per_unit as decimal(18, 2)
        ) as refund_amount_usd,
        latest.reason,
        latest.refunded_at,
        cast(latest.refunded_at as date) as refunded_date,
        latest.delivery_date as delivered_on,
        latest.first_delivered_on
    from latest
    left join rates
        on {{ lifecycle.rate_for_month(
            'rates', 'latest.currency', 'latest.refunded_at'
        ) }}
)

select * from final
