{{ lifecycle.require_usd_reporting() }}
{#- The latest version of each order delivered by the as-of date, standardized.
    Incremental (macros/incremental.sql, latest_version_incremental): a run recomputes only
    the orders its re-read deliveries touch; a full refresh gives the same table. -#}
{{ config(**lifecycle.latest_version_incremental('order_id', 'base_orders__order_versions')) }}
with

source as (
    select * from {{ ref('base_orders__order_versions') }} as versions
    where delivery_date <= {{ lifecycle.as_of_date() }}
        {{ lifecycle.missing_records_only('order_id', 'versions') }}
),

countries as (
    select * from {{ ref('country_codes') }}
),

rates as (
    select * from {{ ref('currency_rates') }}
),

{#- The latest version of each order is picked before anything is standardized: the
    email and phone rules (regular expressions) then run once per order, not once per
    version (three per order at 100,000 people). -#}
versioned as (
    select
        *,
        {{ lifecycle.latest_first(
            'order_id', 'updated_at', 'delivery_date', 'delivery_line'
        ) }} as version_rank,
        min(delivery_date) over (partition by order_id) as first_delivered_on
    from source
),

latest_raw as (
    select * from versioned
    where version_rank = 1
),

latest as (
    select
        -- ids
        latest_raw.order_id,
        cast(latest_raw.customer__customer_id as {{ dbt.type_string() }})
            as shop_customer_id,
        nullif(trim(latest_raw.customer__crm_contact_id), '') as crm_contact_id,
        nullif(trim(latest_raw.customer__app_user_id), '') as app_user_id,
        -- the customer as the shop knows them
        {{ lifecycle.normalize_email('latest_raw.customer__email') }} as email,
        {{ lifecycle.normalize_phone(
            'latest_raw.customer__phone', 'countries.calling_code',
            'countries.trunk_prefix'
        ) }} as phone,
        countries.country_code,
        nullif(trim(latest_raw.shipping_address__city), '') as city,
        -- order
        lower(trim(latest_raw.status)) as status,
        nullif(lower(trim(latest_raw.channel)), '') as channel,
        upper(trim(latest_raw.currency)) as currency,
        cast(latest_raw.total_amount as decimal(18, 2)) as total_amount,
        -- timestamps
        {{ lifecycle.to_utc_timestamp('latest_raw.placed_at') }} as placed_at,
        latest_raw.updated_at,
        latest_raw.delivery_date as delivered_on,
        latest_raw.first_delivered_on
    from latest_raw
    left join countries
        on lower(trim(latest_raw.shipping_address__country))
        = countries.country_alias
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
        latest.delivered_on,
        latest.first_delivered_on
    from latest
    left join rates
        on {{ lifecycle.rate_for_month(
            'rates', 'latest.currency', 'latest.placed_at'
        ) }}
)

select * from final
