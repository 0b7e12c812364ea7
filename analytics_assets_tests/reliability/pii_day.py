"""A demo day whose `inputs` and `query` texts carry known personal data (issue 18, privacy).

`PiiDemoSource` is the demo source with every conversation's and message's `inputs` replaced
by a customer record (name, account, balance, e-mail, phone) and one message in four asking,
in German, Spanish, French, Portuguese or Thai, with an account number, card, e-mail or phone
pasted into it, as users do. `PII_VALUES` are the strings that must appear in no derived file,
document, log line or event.
"""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from analytics_assets.sources.demo.resource import DemoSourceResource

CUSTOMERS = [
    {
        "name": "Somchai Jaidee",
        "account": "123-4-56789-0",
        "balance": "48,210.75 THB",
        "email": "somchai.jaidee@example.co.th",
        "phone": "+66 81 234 5678",
    },
    {
        "name": "Hannelore Brandtmeier",
        "account": "DE89 3704 0044 0532 0130 00",
        "balance": "12.345,67 EUR",
        "email": "h.brandtmeier@example.de",
        "phone": "+49 30 90182736",
    },
    {
        "name": "Maricarmen Villanueva",
        "account": "ES91 2100 0418 4502 0005 1332",
        "balance": "7.802,10 EUR",
        "email": "maricarmen.v@example.es",
        "phone": "612 345 678",
    },
    {
        "name": "Gwenaelle Lefebvre",
        "account": "FR14 2004 1010 0505 0001 3M02 606",
        "balance": "3 410,00 EUR",
        "email": "gwen.lefebvre@example.fr",
        "phone": "06 12 34 56 78",
    },
    {
        "name": "Joaquim Nascimento",
        "account": "BR15 0000 0000 0000 1093 2840 814P 2",
        "balance": "R$ 9.120,55",
        "email": "joaquim.n@example.com.br",
        "phone": "(11) 91234-5678",
    },
    {
        "name": "Philippa Worthington",
        "account": "GB29 NWBK 6016 1331 9268 19",
        "balance": "2,998.40 GBP",
        "email": "p.worthington@example.co.uk",
        "phone": "020 7946 0958",
    },
    {
        "name": "Jebediah Kowalczyk",
        "account": "021000021 4400187733",
        "balance": "15,230.04 USD",
        "email": "jeb.kowalczyk@example.com",
        "phone": "(415) 555-2671",
    },
]
CARD = "4539 1488 0343 6467"

# Queries in the customer's language (so they are translated into English and kept
# downstream as translations), each with the personal data pasted in.
QUERIES = [
    "สวัสดีค่ะ โอนเงินเข้าบัญชี {account} ไม่ได้ค่ะ อีเมล {email} โทร {phone}",
    "Hallo, meine IBAN ist {account}, bitte prüfen. E-Mail {email}, Telefon {phone}",
    "Hola, mi cuenta es {account} y mi correo {email}, llámenme al {phone}",
    "Bonjour, mon compte {account} est bloqué, écrivez à {email} ou au {phone}",
    "Olá, minha conta {account} não recebeu o saque, e-mail {email}, celular {phone}",
    "Bonjour, le paiement avec la carte " + CARD + " a échoué, mon e-mail est {email}",
    "Hola, no puedo retirar dinero a la cuenta {account}, teléfono {phone}",
]

PII_VALUES = sorted(
    {value for customer in CUSTOMERS for value in customer.values()}
    | {customer["account"].replace(" ", "") for customer in CUSTOMERS}
    | {CARD, CARD.replace(" ", "")}
)


def _inputs(i: int) -> str:
    customer = CUSTOMERS[i % len(CUSTOMERS)]
    return json.dumps({"customer": customer, "note": f"VIP since 2019, {customer['name']}"})


class PiiDemoSource(DemoSourceResource):
    """The demo day with personal data in `inputs` and in every fourth query."""

    def fetch_conversations(self, start: datetime, end: datetime) -> pl.DataFrame:
        frame = super().fetch_conversations(start, end)
        return frame.with_columns(
            inputs=pl.Series([_inputs(i) for i in range(frame.height)], dtype=pl.String)
        )

    def fetch_messages(self, start: datetime, end: datetime) -> pl.DataFrame:
        frame = super().fetch_messages(start, end)
        queries = frame["query"].to_list()
        for i in range(0, frame.height, 4):
            k = (i // 4) % len(CUSTOMERS)
            queries[i] = QUERIES[k].format(**CUSTOMERS[k])
        return frame.with_columns(
            inputs=pl.Series([_inputs(i) for i in range(frame.height)], dtype=pl.String),
            query=pl.Series(queries, dtype=pl.String),
        )
