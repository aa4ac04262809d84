{#- One row per source table and delivery day up to the as-of date with the
    rows that delivery brought into the raw zone (every version, before
    staging keeps the latest). Reads only the `_delivery_date` column of each
    raw table, so the Parquet scan stays cheap. Incremental by delivery day
    (macros/incremental.sql): a run recounts the deliveries from reprocess_from on,
    which moves back to any older delivery of any raw table that arrived or changed
    (lifecycle.incremental), and reads only their files (raw_source). -#}
{{ config(**lifecycle.delivery_day_incremental()) }}
{%- set tables = [
    ('crm', 'contacts'), ('crm', 'accounts'), ('crm', 'owners'),
    ('orders', 'orders'), ('orders', 'line_items'), ('orders', 'refunds'),
    ('support', 'tickets'), ('support', 'satisfaction_ratings'),
    ('app', 'events'),
] -%}
with

{% for source_name, table_name in tables %}
{{ source_name }}__{{ table_name }} as (
    select
        '{{ source_name }}' as source_system,
        '{{ table_name }}' as source_table,
        _delivery_date
    from {{ lifecycle.raw_source(source_name, table_name) }}
    where {{ lifecycle.delivered_by_as_of() }}
    {%- if is_incremental() %}
        and {{ lifecycle.is_reprocessed_raw_delivery() }}
    {%- endif %}
),

{% endfor %}
unioned as (
    {% for source_name, table_name in tables %}
    select * from {{ source_name }}__{{ table_name }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(source_table as {{ dbt.type_string() }}) as source_table,
        cast(_delivery_date as date) as delivery_date,
        cast(count(*) as bigint) as delivered_rows
    from unioned
    group by source_system, source_table, _delivery_date
)

select * from final
