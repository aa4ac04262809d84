{{ lifecycle.require_usd_reporting() }}
with

source as (
    select * from {{ source('orders', 'refunds') }}
    where {{ lifecycle.delivered_by_as_of() }}
),

rates as (
    select * from {{ ref('currency_rates') }}
),

renamed as (
    select
        cast(refund_id as {{ dbt.type_string() }}) as refund_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(amount as decimal(18, 2)) as refund_amount,
        upper(trim(currency)) as currency,
        nullif(trim(reason), '') as reason,
        {{ lifecycle.to_utc_timestamp('refunded_at') }} as refunded_at,
        _delivery_date,
        _line
    from source
),

versioned as (
    select
        *,
        {{ lifecycle.latest_first('refund_id', 'refunded_at') }}
            as version_rank,
        cast(min(_delivery_date) over (partition by refund_id) as date)
            as first_delivered_on
    from renamed
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
        latest.first_delivered_on
    from latest
    left join rates
        on {{ lifecycle.rate_for_month(
            'rates', 'latest.currency', 'latest.refunded_at'
        ) }}
)

select * from final
