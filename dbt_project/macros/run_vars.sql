{#- The run's clock and rules arrive as vars (lifecycle.dbt_runner passes them
    from the data interval and config/lifecycle.yml). Models read them only
    through these macros, so a missing or malformed value fails loudly at
    compile time.

    The two values that change every night, the as-of date and the first delivery
    day re-read, come from the environment instead (LIFECYCLE_AS_OF_DATE,
    LIFECYCLE_REPROCESS_FROM), unless a var of the same name is given (dbt unit
    tests, a hand-run `dbt --vars`): dbt re-parses the whole project whenever the
    vars differ from its last run. The environment is read only when a model is
    compiled to run, never while the project is parsed, so dbt records no file as
    depending on it and re-parses nothing when the date moves on (no model's
    config or refs depend on these values, only its SQL, which dbt renders anew
    on every run). -#}

{#- A run value: the var if given, else (when running) the environment variable;
    '' when neither is set. -#}
{% macro run_value(var_name, env_name) -%}
    {%- set value = var(var_name, none) -%}
    {%- if (value is none or value == '') and execute -%}
        {%- set value = env_var(env_name, '') -%}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}

{#- The run's as-of date as a date literal: the only clock a model may read. -#}
{% macro as_of_date() -%}
    cast('{{ lifecycle.as_of_date_text() }}' as date)
{%- endmacro %}

{#- The as-of date as 'YYYY-MM-DD' text (raw `_delivery_date` is text). Parsing
    (dbt parse / ls, no vars) gets a placeholder; executing without it
    fails. -#}
{% macro as_of_date_text() -%}
    {%- set value = lifecycle.run_day_value('as_of_date', 'LIFECYCLE_AS_OF_DATE') -%}
    {%- if value is none -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                "the as-of date is required (YYYY-MM-DD, set from the run's"
                ~ " data interval): LIFECYCLE_AS_OF_DATE=2026-06-30 in the"
                ~ " environment, or dbt build --vars '{as_of_date: 2026-06-30}'"
            ) }}
        {%- endif -%}
        {{- return('1900-01-01') -}}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}

{#- A whole number of days from a lifecycle__* var (config/lifecycle.yml). -#}
{% macro lifecycle_days(name) -%}
    {%- set value = var('lifecycle__' ~ name) -%}
    {%- if not (value | string | trim).isdigit() -%}
        {{ exceptions.raise_compiler_error(
            "var lifecycle__" ~ name ~ " must be a whole number of days, got '"
            ~ value ~ "'") }}
    {%- endif -%}
    {{- value | int -}}
{%- endmacro %}

{#- Money columns are `*_usd` and the currency_rates seed holds USD per unit,
    so the configured reporting currency must be USD; anything else fails the
    compile instead of publishing mislabelled amounts. -#}
{% macro require_usd_reporting() -%}
    {%- set currency = var('lifecycle__reporting_currency', 'USD')
        | string | upper -%}
    {%- if currency != 'USD' -%}
        {{ exceptions.raise_compiler_error(
            "lifecycle__reporting_currency is '" ~ currency ~ "', but the"
            ~ " models publish *_usd amounts from USD rates; only USD is"
            ~ " supported") }}
    {%- endif -%}
{%- endmacro %}

{#- First delivery day an incremental run re-reads, as 'YYYY-MM-DD': the runner passes
    lifecycle__reprocess_from (the look-back window, moved earlier for deliveries that
    arrived or changed since the last build); without it, the as-of date minus
    lifecycle__late_data_lookback_days. -#}
{% macro reprocess_from_text() -%}
    {%- set given = lifecycle.run_day_value(
        'lifecycle__reprocess_from', 'LIFECYCLE_REPROCESS_FROM') -%}
    {%- if given is not none -%}
        {{- return(given) -}}
    {%- endif -%}
    {%- set as_of = modules.datetime.datetime.strptime(
        lifecycle.as_of_date_text(), '%Y-%m-%d') -%}
    {%- set lookback = lifecycle.lifecycle_days('late_data_lookback_days') | int -%}
    {{- return((as_of - modules.datetime.timedelta(days=lookback)).strftime('%Y-%m-%d')) -}}
{%- endmacro %}

{#- The first delivery day whose rows of the delivery-day incremental models may have
    changed since the last build whose every dbt test passed, as 'YYYY-MM-DD', or none:
    the gate passes lifecycle__tested_from (lifecycle.incremental.tested_from) so that a
    key test of those models checks only the keys of rows delivered from that day on
    (unique_combination's `changed_since`). Unset, or outside the gate, every row is
    tested. -#}
{% macro tested_from_text() -%}
    {{- return(lifecycle.run_day_value('lifecycle__tested_from', 'LIFECYCLE_TESTED_FROM')) -}}
{%- endmacro %}

{#- A run value (run_value) that is a day, as 'YYYY-MM-DD', or none when unset; anything
    else stops the run naming the var. -#}
{% macro run_day_value(var_name, env_name) -%}
    {%- set given = lifecycle.run_value(var_name, env_name) -%}
    {%- if given is none or given == '' -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set text = given | string -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ var_name ~ " must be YYYY-MM-DD, got '" ~ text ~ "'") }}
    {%- endif -%}
    {{- return(text) -}}
{%- endmacro %}
