with

source as (
    select * from {{ source('raw_quarantine', 'rows') }}
    where {{ lifecycle.delivered_by_as_of() }}
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
        {#- The reason text names the offending value; the rule is its kind. #}
        case
            when reason like 'malformed JSON%' then 'malformed_json'
            when reason like 'a JSON line must be an object%'
                then 'not_a_json_object'
            when reason like 'expected % fields, found %'
                then 'wrong_field_count'
            when reason like 'required value is missing%'
                then 'required_missing'
            when reason like '% is below the minimum %' then 'below_minimum'
            when reason like '% is above the maximum %' then 'above_maximum'
            when reason like '% is before %, when the company was founded'
                then 'before_company_founded'
            when reason like '% has no UTC offset%' then 'no_utc_offset'
            when reason like '% is not an ISO-8601 timestamp'
                then 'not_a_timestamp'
            when reason like '% is not a boolean' then 'not_a_boolean'
            when reason like '% is not an integer' then 'not_an_integer'
            when reason like '% is not a number'
                or reason like '% is not a finite number' then 'not_a_number'
            when reason like '% is not one of %' then 'value_not_allowed'
            when reason like 'nested % where % expected' then 'nested_value'
            else 'other'
        end as rule,
        cast(raw_record as {{ dbt.type_string() }}) as raw_record,
        cast(_run_id as {{ dbt.type_string() }}) as run_id
    from source
)

select * from renamed
