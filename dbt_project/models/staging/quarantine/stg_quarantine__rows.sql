with

source as (
    select * from {{ source('quarantine', 'rows') }}
    where _delivery_date <= '{{ var("as_of_date") }}'
),

renamed as (
    select
        cast(_source as varchar) as source_system,
        cast(_table as varchar) as source_table,
        cast(_file as varchar) as source_file,
        cast(_line as bigint) as source_line,
        cast(_delivery_date as date) as delivery_date,
        cast(column_name as varchar) as column_name,
        cast(reason as varchar) as reason,
        cast(raw_record as varchar) as raw_record
    from source
)

select * from renamed
