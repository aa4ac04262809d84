{#- Every row's currency has a rate in the currency_rates seed for the month of
    `at_column` (the month the amount is converted at). -#}
{% test has_currency_rate(model, column_name, at_column) %}

with

amounts as (
    select
        {{ column_name }} as currency,
        cast({{ dbt.date_trunc('month', at_column) }} as date) as rate_month
    from {{ model }}
),

rates as (
    select * from {{ ref('currency_rates') }}
),

missing as (
    select
        amounts.currency,
        amounts.rate_month
    from amounts
    left join rates
        on amounts.currency = rates.currency
        and amounts.rate_month = rates.rate_month
    where rates.currency is null
)

select * from missing

{% endtest %}
