{#- Engine-specific SQL lives only here, behind adapter.dispatch: a default__
    for engines that follow the common dialect (Spark 3.2+, Trino, ...), and
    duckdb__ / postgres__ / spark__ where they differ. -#}

{#- True when the whole string matches the regular expression. -#}
{% macro regex_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'lifecycle')(
        expr, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(expr, pattern) -%}
    regexp_like({{ expr }}, '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__regex_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regex_full_match(expr, pattern) -%}
    ({{ expr }} ~ '^(?:{{ pattern }})$')
{%- endmacro %}

{#- Spark reads a backslash in a string literal as an escape character (unless
    spark.sql.parser.escapedStringLiterals is on, a setting of the whole session),
    so a pattern's backslashes are doubled to reach the regex engine as written. -#}
{% macro spark__regex_full_match(expr, pattern) -%}
    ({{ expr }} rlike '^(?:{{ pattern | replace('\\', '\\\\') }})$')
{%- endmacro %}

{#- Replace every match of the pattern. -#}
{% macro regex_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'lifecycle')(
        expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{% macro duckdb__regex_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro postgres__regex_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__regex_replace_all(expr, pattern, replacement) -%}
    regexp_replace(
        {{ expr }},
        '{{ pattern | replace('\\', '\\\\') }}',
        '{{ replacement | replace('\\', '\\\\') }}'
    )
{%- endmacro %}

{#- ISO-8601 text with a UTC offset (`+01:00`, `+0000`, `Z`) to a UTC
    timestamp without time zone. DuckDB's plain cast to timestamp silently
    drops the offset, so the text goes through timestamptz, read at UTC. -#}
{% macro to_utc_timestamp(expr) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'lifecycle')(expr)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(expr) -%}
    cast(
        cast({{ expr }} as timestamp with time zone) at time zone 'UTC'
        as timestamp
    )
{%- endmacro %}

{% macro spark__to_utc_timestamp(expr) -%}
    {#- to_timestamp honours the offset and yields the session time zone's wall
        clock; to_utc_timestamp turns that back into UTC. -#}
    to_utc_timestamp(to_timestamp({{ expr }}), current_timezone())
{%- endmacro %}

{#- Median of a numeric expression, as an aggregate (works with group by). -#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'lifecycle')(expr)) }}
{%- endmacro %}

{% macro default__median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{% macro spark__median(expr) -%}
    percentile({{ expr }}, 0.5)
{%- endmacro %}

{#- An 8-byte float. dbt.type_float() renders `float`, which is 8 bytes on
    PostgreSQL but 4 (REAL) on DuckDB; `double` is DuckDB's and Spark's name,
    `double precision` the standard's (PostgreSQL has no `double`). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'lifecycle')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{#- A computed number (a quotient, an average, a median, a float column) as
    decimal(precision, scale), rounding the decimal number it stands for half
    away from zero. PostgreSQL divides and averages numerics exactly and casts
    floats through their 15-digit decimal text, so 142.95 / 2 = 71.475 gives
    71.48; DuckDB computes such values as binary doubles and casts the binary
    value, 71.47499999999999..., to 71.47. Through text (DuckDB prints the
    shortest decimal that reads back as the same double) DuckDB rounds 71.475
    too. A plain decimal column needs no macro: its cast is exact anywhere. -#}
{% macro to_decimal(expr, precision, scale) -%}
    {{ return(adapter.dispatch('to_decimal', 'lifecycle')(
        expr, precision, scale)) }}
{%- endmacro %}

{% macro default__to_decimal(expr, precision, scale) -%}
    cast({{ expr }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro duckdb__to_decimal(expr, precision, scale) -%}
    cast(
        cast({{ expr }} as {{ dbt.type_string() }})
        as decimal({{ precision }}, {{ scale }})
    )
{%- endmacro %}

{#- to_decimal around a block, for expressions of more than a line:
    {% call lifecycle.decimal_of(7, 4) -%} case ... end {%- endcall %}. -#}
{% macro decimal_of(precision, scale) -%}
    {{ lifecycle.to_decimal(caller(), precision, scale) }}
{%- endmacro %}

{#- An order-independent fingerprint of a set of distinct text values (an aggregate):
    the XOR of a 60-bit hash of each (the first 15 hex digits of its md5), so the same
    set gives the same bigint on every engine and a changed member changes it. -#}
{% macro set_fingerprint(expr) -%}
    bit_xor({{ lifecycle.hash_60(expr) }})
{%- endmacro %}

{% macro hash_60(expr) -%}
    {{ return(adapter.dispatch('hash_60', 'lifecycle')(expr)) }}
{%- endmacro %}

{% macro default__hash_60(expr) -%}
    cast(conv(substr(md5({{ expr }}), 1, 15), 16, 10) as bigint)
{%- endmacro %}

{% macro duckdb__hash_60(expr) -%}
    cast('0x' || substr(md5({{ expr }}), 1, 15) as bigint)
{%- endmacro %}

{% macro postgres__hash_60(expr) -%}
    cast(cast('x' || substr(md5({{ expr }}), 1, 15) as bit(60)) as bigint)
{%- endmacro %}
