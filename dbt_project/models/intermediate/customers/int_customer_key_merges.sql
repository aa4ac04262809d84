{#- Every (old key -> new key) move observed by a run: a key issued before the as-of date
    whose anchor record now belongs to a customer with another key, with the first as-of
    date it was seen. State like int_customer_keys (never rebuilt by --full-refresh);
    dim_customer_key_merges shows it as of the run's day. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['old_customer_id', 'new_customer_id'],
    full_refresh=false,
    on_schema_change='fail',
) }}
with

issued as (
    select * from {{ ref('int_customer_keys') }}
    where issued_on < {{ lifecycle.as_of_date() }}
),

identities as (
    select * from {{ ref('int_customers_matched') }}
),

observed as (
    select
        issued.customer_id as old_customer_id,
        identities.customer_id as new_customer_id
    from issued
    inner join identities
        on issued.anchor_record_key = identities.record_key
    where identities.customer_id <> issued.customer_id
),

final as (
    select
        observed.old_customer_id,
        observed.new_customer_id,
        {% if is_incremental() -%}
        coalesce(
            least(seen.merged_on, {{ lifecycle.as_of_date() }}),
            {{ lifecycle.as_of_date() }}
        )
        {%- else -%}
        {{ lifecycle.as_of_date() }}
        {%- endif %} as merged_on
    from observed
    {% if is_incremental() -%}
    left join {{ this }} as seen
        on observed.old_customer_id = seen.old_customer_id
        and observed.new_customer_id = seen.new_customer_id
    {%- endif %}
)

select * from final
