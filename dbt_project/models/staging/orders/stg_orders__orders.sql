{{ lifecycle.require_usd_reporting() }}
with

source as (
    select * from {{ source('orders', 'orders') }}
    where {{ lifecycle.delivered_by_as_of() }}
),

countries as (
    select * from {{ ref('country_codes') }}
),

rates as (
    select * from {{ ref('currency_rates') }}
),

renamed as (
    select
        -- ids
        cast(source.order_id as {{ dbt.type_string() }}) as order_id,
        cast(source.customer__customer_id as {{ dbt.type_string() }})
            as shop_customer_id,
        nullif(trim(source.customer__crm_contact_id), '') as crm_contact_id,
        nullif(trim(source.customer__app_user_id), '') as app_user_id,
        -- the customer as the shop knows them
        {{ lifecycle.normalize_email('source.customer__email') }} as email,
        {{ lifecycle.normalize_phone(
            'source.customer__phone', 'countries.calling_code',
            'countries.trunk_prefix'
        ) }} as phone,
        countries.country_code,
        nullif(trim(source.shipping_address__city), '') as city,
        -- order
        lower(trim(source.status)) as status,
        nullif(lower(trim(source.channel)), '') as channel,
        upper(trim(source.currency)) as currency,
        cast(source.total_amount as decimal(18, 2)) as total_amount,
        -- timestamps
        {{ lifecycle.to_utc_timestamp('source.placed_at') }} as placed_at,
        {{ lifecycle.to_utc_timestamp('source.updated_at') }} as updated_at,
        source._delivery_date,
        source._line
    from source
    left join countries
        on lower(trim(source.shipping_address__country))
        = countries.country_alias
),

versioned as (
    select
        *,
        {{ lifecycle.latest_first('order_id', 'updated_at') }} as version_rank,
        cast(min(_delivery_date) over (partition by order_id) as date)
            as first_delivered_on
    from renamed
),

latest as (
    select * from versioned
    where version_rank = 1
),

final as (
    select
        latest.order_id,
        latest.shop_customer_id,
        latest.crm_contact_id,
        latest.app_user_id,
        latest.email,
        latest.phone,
        latest.country_code,
        latest.city,
        latest.status,
        latest.status not in ('pending', 'cancelled') as is_revenue,
        latest.channel,
        latest.currency,
        latest.total_amount,
        rates.usd_per_unit as usd_rate,
        cast(
            latest.total_amount * rates.usd_per_unit as decimal(18, 2)
        ) as total_amount_usd,
        latest.placed_at,
        cast(latest.placed_at as date) as placed_date,
        latest.updated_at,
        latest.first_delivered_on
    from latest
    left join rates
        on {{ lifecycle.rate_for_month(
            'rates', 'latest.currency', 'latest.placed_at'
        ) }}
)

select * from final
