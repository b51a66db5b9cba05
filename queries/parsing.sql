-- Parsing macros of the importer (a script run before each import, not a named query).
-- They mirror the contract's "Formats the importer accepts without being told".

-- Header / action-name normalisation: lower case, no accents, no spaces _ - ' ’ . / ° º ( ).
-- Spaces include the no-break ones Excel and accounting tools write (U+00A0, U+202F).
create or replace temp macro norm_key(v) as
    regexp_replace(strip_accents(regexp_replace(lower(v), '[°º]', '', 'g')),
        '[\s\x{00A0}\x{202F}_\-''’./()]', '', 'g');

-- Name normalisation before hashing: lower case, no accents, no spaces, hyphens, apostrophes.
create or replace temp macro norm_name(v) as
    regexp_replace(strip_accents(lower(trim(v))), '[\s\x{00A0}\x{202F}\-''’]', '', 'g');

-- Day-first dates: 31/12/2023, 31/12/23, 31-12-2023, 31.12.2023, 2023-12-31, 2023-12-31 00:00:00.
-- Two-digit years are 20yy; in a birth date (pivot_year = current year) a future 20yy is 19yy.
create or replace temp macro date_parts(v) as
    case
        when regexp_full_match(v, '\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?')
            then regexp_extract(v, '^(\d{4})-(\d{1,2})-(\d{1,2})', ['y', 'm', 'd'])
        when regexp_full_match(v, '\d{1,2}[/.\-]\d{1,2}[/.\-](\d{2}|\d{4})( \d{1,2}:\d{2}(:\d{2})?)?')
            then regexp_extract(v, '^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})', ['d', 'm', 'y'])
    end;

create or replace temp macro make_day(y, m, d) as
    try_cast(printf('%04d-%02d-%02d', y, m, d) as date);

create or replace temp macro parse_date(v, pivot_year) as
    make_day(
        case
            when length(date_parts(v).y) = 2 and 2000 + cast(date_parts(v).y as integer) > pivot_year
                then 1900 + cast(date_parts(v).y as integer)
            when length(date_parts(v).y) = 2 then 2000 + cast(date_parts(v).y as integer)
            else cast(date_parts(v).y as integer)
        end,
        cast(date_parts(v).m as integer),
        cast(date_parts(v).d as integer)
    );

-- Amounts: 1234.5, 1234,50, 1 234,50 (normal, no-break or narrow no-break spaces), 1.234,50,
-- with or without € / EUR (before or after the number, never inside). A dot is the decimal point
-- unless the value also holds a comma or several dots; then dots separate thousands and must come
-- in groups of three before the comma ("1,234.50" and "12€50" are not read as numbers).
-- Rounded to the cent (the decimal cast rounds half away from zero); an amount too large for
-- the stored decimal(14, 2) is not a number either.
create or replace temp macro amount_text(v) as
    regexp_replace(
        regexp_replace(upper(trim(v)), '^(€|EUR)|(€|EUR)$', '', 'g'),
        '[\s\x{00A0}\x{202F}]', '', 'g');

-- Whole numbers, as Excel sometimes writes them ("14.0" from a spreadsheet cell).
create or replace temp macro parse_int(v) as
    case
        when regexp_full_match(trim(v), '-?\d+') then try_cast(trim(v) as integer)
        when regexp_full_match(trim(v), '-?\d+[.,]0+') then try_cast(regexp_extract(trim(v), '^-?\d+') as integer)
    end;

create or replace temp macro parse_year(v) as
    case when regexp_full_match(trim(v), '\d{4}([.,]0+)?') then cast(left(trim(v), 4) as integer) end;

-- Age in whole years at date d of someone born on b.
create or replace temp macro age_at(b, d) as
    year(d) - year(b) - case when month(d) < month(b) or (month(d) = month(b) and day(d) < day(b)) then 1 else 0 end;

-- HMAC-SHA256 of message m with the key's padded forms (see impact.privacy.hmac_pads).
create or replace temp macro hmac_sha256(ipad, opad, m) as
    sha256(opad || unhex(sha256(ipad || encode(m))));

-- Faster forms for a whole file: the caller computes date_parts / amount_text once per cell
-- (a macro is expanded where it is used, so nesting them would run each regex many times).
create or replace temp macro parts_to_date(p, pivot_year) as
    try(make_date(
        case
            when length(p.y) = 2 and 2000 + cast(p.y as integer) > pivot_year then 1900 + cast(p.y as integer)
            when length(p.y) = 2 then 2000 + cast(p.y as integer)
            else cast(p.y as integer)
        end,
        cast(p.m as integer),
        cast(p.d as integer)));

-- `a` is amount_text(value): see parse_amount above for the accepted shapes.
create or replace temp macro amount_from_text(a) as
    case
        when regexp_full_match(a, '[-+]?(\d+(,\d*)?|,\d+)')
            then try_cast(replace(a, ',', '.') as decimal(14, 2))
        when regexp_full_match(a, '[-+]?\d{1,3}((\.\d{3}){2,}|(\.\d{3})+,\d*)')
            then try_cast(replace(replace(a, '.', ''), ',', '.') as decimal(14, 2))
        when regexp_full_match(a, '[-+]?(\d+\.\d*|\.\d+)')
            then try_cast(a as decimal(14, 2))
    end;

-- One cell at a time (amount_text and amount_from_text above).
create or replace temp macro parse_amount(v) as amount_from_text(amount_text(v));
