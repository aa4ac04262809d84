with

source as (
    select * from {{ source('orders', 'orders') }}
    where _delivery_date <= '{{ var("as_of_date") }}'
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
        cast(source.order_id as varchar) as order_id,
        cast(source.customer__customer_id as varchar) as shop_customer_id,
        nullif(trim(source.customer__crm_contact_id), '') as crm_contact_id,
        nullif(trim(source.customer__app_user_id), '') as app_user_id,
        -- customer as the shop knows them
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
        on lower(trim(source.shipping_address__country)) = countries.country_alias
),

versioned as (
    select
        *,
        {{ lifecycle.latest_first('order_id', 'updated_at') }} as version_rank
    from renamed
),

latest as (
    select * from versioned where version_rank = 1
),

converted as (
    select
        latest.*,
        cast(
            latest.total_amount * order_rate.usd_per_unit
            / reporting_rate.usd_per_unit as decimal(18, 2)
        ) as total_amount_reporting
    from latest
    left join rates as order_rate
        on latest.currency = order_rate.currency
        and cast({{ dbt.date_trunc('month', 'latest.placed_at') }} as date)
        = order_rate.rate_month
    left join rates as reporting_rate
        on reporting_rate.currency = '{{ var("lifecycle__reporting_currency") }}'
        and order_rate.rate_month = reporting_rate.rate_month
),

final as (
    select
        order_id,
        shop_customer_id,
        crm_contact_id,
        app_user_id,
        email,
        phone,
        country_code,
        city,
        status,
        channel,
        currency,
        total_amount,
        total_amount_reporting,
        placed_at,
        updated_at
    from converted
)

select * from final
