{#- Every customer key ever issued, with the record it hashes and the first as-of date it
    was issued. State, not a function of today's data: it remembers keys that a merge has
    since retired, so it is never rebuilt by --full-refresh. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    full_refresh=false,
    on_schema_change='fail',
) }}
with

current_keys as (
    select distinct
        customer_id,
        anchor_record_key
    from {{ ref('int_customers_matched') }}
),

final as (
    select
        current_keys.customer_id,
        current_keys.anchor_record_key,
        {% if is_incremental() -%}
        coalesce(
            least(issued.issued_on, {{ lifecycle.as_of_date() }}),
            {{ lifecycle.as_of_date() }}
        )
        {%- else -%}
        {{ lifecycle.as_of_date() }}
        {%- endif %} as issued_on
    from current_keys
    {% if is_incremental() -%}
    left join {{ this }} as issued
        on current_keys.customer_id = issued.customer_id
    {%- endif %}
)

select * from final
