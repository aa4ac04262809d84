{#- Email as an identity key: trimmed, lower-case, `+tag` dropped from the local part;
    null unless it then looks like an address. -#}
{% macro normalize_email(column) -%}
    {%- set cleaned = lifecycle.regex_replace_all('lower(trim(' ~ column ~ '))', '\\+[^@]*@', '@') -%}
    case
        when {{ lifecycle.regex_full_match(cleaned, '[a-z0-9._%-]+@[a-z0-9.-]+\\.[a-z]{2,}') }}
            then {{ cleaned }}
    end
{%- endmacro %}

{#- Phone to E.164 (`+` and 8-15 digits). International forms (`+44 ...`, `0044 ...`) keep
    their calling code; national forms take the record's country: its trunk prefix is
    dropped and its calling code added (NANP: 10 digits, or 11 led by 1). Null otherwise. -#}
{% macro normalize_phone(phone, calling_code, trunk_prefix) -%}
    {%- set digits = lifecycle.regex_replace_all(phone, '[^0-9]', '') -%}
    {%- set e164 -%}
    case
        when trim({{ phone }}) like '+%' then '+' || {{ digits }}
        when {{ digits }} like '00%' then '+' || substr({{ digits }}, 3)
        when {{ calling_code }} = '1' and length({{ digits }}) = 10
            then '+1' || {{ digits }}
        when {{ calling_code }} = '1' and length({{ digits }}) = 11
            and {{ digits }} like '1%'
            then '+' || {{ digits }}
        when {{ trunk_prefix }} <> '' and {{ digits }} like {{ trunk_prefix }} || '%'
            then '+' || {{ calling_code }}
                || substr({{ digits }}, length({{ trunk_prefix }}) + 1)
    end
    {%- endset -%}
    case
        when {{ lifecycle.regex_full_match(e164, '\\+[0-9]{8,15}') }} then {{ e164 }}
    end
{%- endmacro %}

{#- Latest version of each key: 1 for the newest by cursor, then later delivery, then later line. -#}
{% macro latest_first(key, cursor) -%}
    row_number() over (
        partition by {{ key }}
        order by {{ cursor }} desc, _delivery_date desc, _line desc
    )
{%- endmacro %}
