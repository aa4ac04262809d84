-- Stand-in for the project's publication on PostgreSQL, for the BI test
-- (tests/integration/test_superset_bi.py): two role schemas with one small table each, and
-- the per-role grants. The logins bi_marketing and bi_sales come from the server's init
-- script (deploy/postgres/init/01-lifecycle.sh). When the project publishes and grants on
-- PostgreSQL itself (issue 8, part 1), the test should build that publication instead and
-- this file goes.
create schema publish_marketing;
create schema publish_sales;

create table publish_marketing.rpt_marketing__segments (
    lifecycle_stage varchar(20) not null,
    rfm_segment varchar(30) not null,
    customers integer not null,
    emailable_customers integer not null,
    historical_clv numeric(12, 2) not null
);
insert into publish_marketing.rpt_marketing__segments values
    ('active', 'champions', 120, 95, 48210.50),
    ('active', 'loyal', 310, 240, 61002.25),
    ('at_risk', 'cant_lose_them', 45, 30, 15220.00),
    ('churned', 'hibernating', 410, 150, 20500.75),
    ('new', 'new_customers', 88, 80, 3520.00);

create table publish_sales.rpt_sales__customer_priorities (
    customer_id varchar(64) not null,
    priority integer not null,
    next_best_action varchar(30) not null
);
insert into publish_sales.rpt_sales__customer_priorities values
    ('c-001', 1, 'call_to_save'),
    ('c-002', 2, 'upsell');

-- Each role reads its own schema and nothing else; nobody else may create there.
revoke all on schema publish_marketing, publish_sales from public;
grant usage on schema publish_marketing to bi_marketing;
grant select on all tables in schema publish_marketing to bi_marketing;
grant usage on schema publish_sales to bi_sales;
grant select on all tables in schema publish_sales to bi_sales;
