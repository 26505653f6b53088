from __future__ import annotations

import json
from datetime import date

import pytest

from ardesk.bank import (BUILTIN_PROFILES, BankFileError, CsvProfile, ProfileError, load_profiles, read_processor,
                         read_statement)

EUROPEAN = """Booking date;Value date;Counterparty;IBAN;Reference;Description;Amount;Currency
01.03.2024;01.03.2024;Acme GmbH;DE44 5001 0517 5407 3249 31;RF18539007547034;Rechnung März;1.234,56;EUR
02.03.2024;04.03.2024;Stadtwerke;;;Strom;-89,90;EUR
"""


def test_european_profile_detected_decimal_comma(write):
    st = read_statement(write("konto.csv", EUROPEAN))
    assert st.format == "bank CSV (profile european)"
    acme, power = st.lines
    assert (acme.booking_date, acme.amount, acme.payer_account) == (date(2024, 3, 1), 123456, "DE44500105175407324931")
    assert (acme.reference, acme.text) == ("RF18539007547034", "Rechnung März")
    assert (power.amount, power.value_date) == (-8990, date(2024, 3, 4))


DEBIT_CREDIT = """Date,Description,Payee,Reference,Check Number,Debit,Credit
03/01/2024,Deposit,Acme Corp,INV-7,,,"1,500.00"
03/02/2024,Check,Landlord,,1042,750.25,
"""


def test_debit_credit_columns(write):
    st = read_statement(write("bank.csv", DEBIT_CREDIT))
    assert st.format == "bank CSV (profile debit-credit)"
    dep, chk = st.lines
    assert (dep.booking_date, dep.amount, dep.payer, dep.reference) == (date(2024, 3, 1), 150000, "Acme Corp", "INV-7")
    assert (chk.amount, chk.check_no, chk.kind) == (-75025, "1042", "check")


def test_simple_profile(write):
    st = read_statement(write("s.csv", "date,amount,payer,reference\n2024-03-05,-12.50,Shop,R1\n"), fmt="simple")
    (ln,) = st.lines
    assert (ln.amount, ln.payer, ln.reference, ln.line_no) == (-1250, "Shop", "R1", 2)


def test_profile_from_json_with_skip_rows_date_format_and_direction(write, tmp_path):
    profiles = write("profiles.json", json.dumps({"profiles": [{
        "name": "ing", "delimiter": ";", "decimal_comma": True, "skip_rows": 2, "date_formats": ["%Y%m%d"],
        "date_column": "Datum", "amount_column": "Bedrag", "sign": "direction", "direction_column": "Af Bij",
        "payer_column": "Naam", "text_columns": ["Mededelingen"], "our_account": "NL20INGB0001234567"}]}))
    loaded = load_profiles(profiles)
    assert set(loaded) == {"ing"}
    content = ("Export ING\nRekening NL20INGB0001234567\n"
               "Datum;Naam;Af Bij;Bedrag;Mededelingen\n"
               "20240301;Acme BV;Bij;100,00;Factuur 2024-7\n"
               "20240302;Kantoor;Af;25,10;Huur\n")
    st = read_statement(write("ing.csv", content), profile=loaded["ing"])
    assert [ln.amount for ln in st.lines] == [10000, -2510]
    assert st.lines[0].booking_date == date(2024, 3, 1) and st.lines[0].line_no == 4
    assert st.account == "NL20INGB0001234567"


def test_bad_date_names_line_and_column(write):
    with pytest.raises(BankFileError) as err:
        read_statement(write("bank.csv", DEBIT_CREDIT.replace("03/02/2024", "2024/31/02")), fmt="debit-credit")
    assert str(err.value).startswith("bank.csv line 3, column Date: '2024/31/02' is not a date")


def test_bad_amount_names_line_and_column(write):
    with pytest.raises(BankFileError, match=r"konto\.csv line 3, column Amount: '-89,9x' is not an amount"):
        read_statement(write("konto.csv", EUROPEAN.replace("-89,90", "-89,9x")))


def test_bad_profiles_refused(write):
    with pytest.raises(ProfileError, match="unknown setting"):
        load_profiles(write("p.json", json.dumps([{"name": "x", "amount_column": "A", "colour": "red"}])))
    with pytest.raises(ProfileError, match="needs amount_column"):
        CsvProfile(name="x")
    assert "simple" in BUILTIN_PROFILES


STRIPE = """balance_transaction_id,created,available_on,currency,gross,fee,net,reporting_category,source_id,charge_id,payment_intent_id,invoice_id,automatic_payout_id,customer_name,customer_email,description
txn_1,2024-03-01 10:00:00,2024-03-03 00:00:00,usd,100.00,3.20,96.80,charge,ch_1,ch_1,pi_1,in_1,po_1,Acme Corp,ap@acme.test,Invoice INV-7
txn_2,2024-03-01 11:00:00,2024-03-03 00:00:00,usd,50.00,1.75,48.25,charge,ch_2,ch_2,pi_2,in_2,po_1,Beta LLC,pay@beta.test,card 4242 4242 4242 4242
txn_3,2024-03-02 09:00:00,2024-03-03 00:00:00,usd,-20.00,0.00,-20.00,refund,re_1,ch_2,pi_2,in_2,po_1,Beta LLC,pay@beta.test,
txn_4,2024-03-03 00:05:00,2024-03-03 00:00:00,usd,-125.05,0.00,-125.05,payout,po_1,,,,po_1,,,
"""


def test_stripe_report_and_payout_check(write):
    rep = read_processor(write("stripe.csv", STRIPE))
    assert rep.format.startswith("Stripe")
    kinds = [t.kind for t in rep.transactions]
    assert kinds == ["charge", "charge", "refund", "payout"]
    acme = rep.transactions[0]
    assert (acme.gross, acme.fee, acme.net, acme.currency) == (10000, -320, 9680, "USD")
    assert (acme.invoice_id, acme.customer_email, acme.charge_id) == ("in_1", "ap@acme.test", "ch_1")
    assert acme.created == date(2024, 3, 1) and acme.available_on == date(2024, 3, 3)
    assert rep.transactions[1].description == "card ************4242"
    (po,) = rep.payouts
    assert (po.payout_id, po.amount, po.transaction_count, po.checked) == ("po_1", 12505, 3, True)


def test_stripe_payout_mismatch_refused(write):
    with pytest.raises(BankFileError) as err:
        read_processor(write("stripe.csv", STRIPE.replace("-125.05,0.00,-125.05", "-130.00,0.00,-130.00")))
    assert "line 5" in str(err.value) and "130.00" in str(err.value) and "125.05" in str(err.value)


def test_stripe_bad_amount_refused(write):
    with pytest.raises(BankFileError, match=r"line 3, column fee: 'x' is not an amount"):
        read_processor(write("stripe.csv", STRIPE.replace(",1.75,", ",x,")), fmt="stripe")


PAYPAL = """Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,From Email Address,Transaction ID,Reference Txn ID,Invoice Number,Balance
03/01/2024,10:00:00,PST,Acme Corp,Express Checkout Payment,Completed,USD,"1,000.00",-34.79,965.21,ap@acme.test,1AB,,INV-7,965.21
03/02/2024,11:00:00,PST,Acme Corp,Payment Refund,Completed,USD,-100.00,3.00,-97.00,ap@acme.test,2CD,1AB,INV-7,868.21
03/02/2024,12:00:00,PST,Gamma,Express Checkout Payment,Pending,USD,10.00,-0.59,9.41,g@gamma.test,3EF,,INV-9,868.21
03/03/2024,09:00:00,PST,,General Withdrawal,Completed,USD,-868.21,0.00,-868.21,,4GH,,,0.00
"""


def test_paypal_report(write):
    rep = read_processor(write("paypal.csv", PAYPAL))
    assert rep.format == "PayPal activity CSV"
    assert [t.kind for t in rep.transactions] == ["charge", "refund", "payout"]
    sale = rep.transactions[0]
    assert (sale.gross, sale.fee, sale.net, sale.invoice_id, sale.customer_name) == (100000, -3479, 96521, "INV-7", "Acme Corp")
    assert rep.transactions[1].charge_id == "1AB"
    assert [(p.payout_id, p.amount, p.checked) for p in rep.payouts] == [("4GH", 86821, False)]
    assert rep.problems == ("paypal.csv: 1 row(s) with status Pending not imported",)


def test_paypal_running_balance_mismatch_refused(write):
    with pytest.raises(BankFileError, match=r"line 3: balance 965.21 \(line 2\) \+ net -97.00 = 868.21, but the file says 870.00"):
        read_processor(write("paypal.csv", PAYPAL.replace("INV-7,868.21", "INV-7,870.00")))


def test_paypal_net_not_gross_plus_fee_refused(write):
    with pytest.raises(BankFileError, match="line 2"):
        read_processor(write("paypal.csv", PAYPAL.replace("965.21,ap", "966.21,ap")))
