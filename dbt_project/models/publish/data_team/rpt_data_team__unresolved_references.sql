{#- Rows naming a record no system has, per source table, reference column and
    delivery day, with one example (fct_unresolved_references). -#}
with

unresolved as (
    select * from {{ ref('fct_unresolved_references') }}
),

final as (
    select
        source_system,
        source_table,
        reference_column,
        referenced_table,
        delivery_date,
        referencing_rows,
        unresolved_rows,
        example_record_id,
        example_reference_id,
        as_of_date
    from unresolved
)

select * from final
