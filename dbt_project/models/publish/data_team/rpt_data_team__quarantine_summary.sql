{#- Rows the extract quarantined, per source table, delivery day, column and
    rule, with one example to look at (fct_quarantine_summary). -#}
with

quarantine as (
    select * from {{ ref('fct_quarantine_summary') }}
),

final as (
    select
        source_system,
        source_table,
        delivery_date,
        column_name,
        rule,
        quarantined_rows,
        example_reason,
        example_file,
        example_line
    from quarantine
)

select * from final
