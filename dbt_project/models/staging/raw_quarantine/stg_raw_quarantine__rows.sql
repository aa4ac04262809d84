{#- Every quarantined row delivered by the as-of date. Incremental by delivery day like
    stg_raw__deliveries: a run replaces the deliveries from reprocess_from on and reads
    only their quarantine partitions. -#}
{{ config(**lifecycle.delivery_day_incremental()) }}
with

source as (
    select * from {{ lifecycle.raw_source('raw_quarantine', 'rows') }}
    where {{ lifecycle.delivered_by_as_of() }}
    {%- if is_incremental() %}
        and {{ lifecycle.is_reprocessed_raw_delivery() }}
    {%- endif %}
),

renamed as (
    select
        cast(_source as {{ dbt.type_string() }}) as source_system,
        cast(_table as {{ dbt.type_string() }}) as source_table,
        cast(_file as {{ dbt.type_string() }}) as source_file,
        cast(_line as bigint) as source_line,
        cast(_delivery_date as date) as delivery_date,
        coalesce(nullif(trim(column_name), ''), '(whole row)') as column_name,
        cast(reason as {{ dbt.type_string() }}) as reason,
        {#- The rule's stable code comes from the extract (lifecycle.parsing). -#}
        coalesce(cast(rule as {{ dbt.type_string() }}), 'unclassified') as rule,
        cast(raw_record as {{ dbt.type_string() }}) as raw_record,
        cast(_run_id as {{ dbt.type_string() }}) as run_id
    from source
)

select * from renamed
