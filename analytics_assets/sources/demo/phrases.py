"""Phrase tables the demo generator composes user queries and bot answers from.

Why a table of whole sentences instead of word-level templates: German, Spanish and French
inflect nouns by case and gender, and Thai has no spaces between words, so gluing a noun
phrase into a generic frame produces broken text. Each core sentence is written whole, tagged
with the intent it expresses and its inherent tone, and the generator adds variety around it:
an opener (greeting), a tone clause (praise, frustration, or both), and slot values.

Slots (replaced per row by the generator):

* `{p}` / `{q}`: Thai polite particle for statements / questions. A female user writes
  `ค่ะ` / `คะ`, a male user `ครับ` / `ครับ`. Other languages never use them.
* `{amt}`: an amount in the user's currency (the currency word is part of the sentence).
* `{ref}`: a transaction reference such as `TX48213077`.
* `{mins}`: a small number of minutes.

Rules the tests enforce: no double quote, backslash or newline in any phrase (the `inputs` JSON
is assembled by string formatting), every language covers every topic and every generic intent.
"""

from __future__ import annotations

from dataclasses import dataclass

TOPICS: tuple[str, ...] = (
    "pricing",
    "technical_issue",
    "feature_request",
    "account",
    "general_inquiry",
    "feedback",
    "data_privacy",
    "integration",
    "payments",
)

INTENTS: tuple[str, ...] = (
    "question",
    "request",
    "complaint",
    "greeting",
    "gratitude",
    "farewell",
    "troubleshooting",
    "purchase_intent",
    "feedback",
)

TONES: tuple[str, ...] = ("positive", "negative", "neutral", "mixed")

# Intents that do not depend on the topic: short standalone turns.
GENERIC_INTENTS: tuple[str, ...] = ("greeting", "gratitude", "farewell")

# Inherent tone letters used in the core tables: n = neutral, p = positive, g = negative.
_TONE_LETTERS = {"n": "neutral", "p": "positive", "g": "negative"}

Core = tuple[tuple[str, str, str], ...]  # (intent, tone letter, text)


@dataclass(frozen=True)
class LanguagePhrases:
    """Everything the generator needs to write one language."""

    code: str  # ISO 639-1, what language detection should find
    name: str  # English name, used in the English conversation summary
    share: float  # share of conversations
    locale: str  # `inputs.lang`
    currency: str  # `inputs.currency`
    utc_offset: int  # hours; drives the daily traffic curve of this language's users
    amount_median: float  # typical deposit amount in `currency`
    amount_step: int  # amounts are rounded to multiples of this
    openers: tuple[str, ...]
    core: dict[str, Core]  # topic -> sentences
    generic: dict[str, tuple[str, ...]]  # greeting/gratitude/farewell -> sentences
    clauses: dict[str, tuple[str, ...]]  # positive/negative/mixed -> appended clauses
    answers: dict[str, tuple[str, ...]]  # topic or generic intent -> bot answers
    apologies: tuple[str, ...]  # prefixed to answers of negative/mixed turns
    handoff: str  # appended when the bot hands over to a human (`#AGENT`)
    titles: dict[str, str]  # topic -> conversation name
    followups: Core = ()  # topic-independent follow-up turns ("any update?")


TH = LanguagePhrases(
    code="th",
    name="Thai",
    share=0.37,
    locale="th-th",
    currency="THB",
    utc_offset=7,
    amount_median=800.0,
    amount_step=50,
    openers=(
        "สวัสดี{p} ",
        "สวัสดี{p}แอดมิน ",
        "แอดมิน{q} ",
        "รบกวนสอบถามหน่อย{p} ",
        "ขอสอบถามหน่อยนะ{q} ",
        "สวัสดีตอนเย็น{p} ",
    ),
    core={
        "payments": (
            ("question", "n", "ฝากเงิน {amt} บาทไปเมื่อ {mins} นาทีที่แล้ว ทำไมยอดยังไม่เข้า{q}"),
            ("complaint", "g", "ถอนเงิน {amt} บาทตั้งแต่เมื่อวานแล้วยังไม่ได้รับเลย{p}"),
            ("request", "n", "ช่วยตรวจสอบรายการฝากเงินหมายเลข {ref} ให้หน่อย{p}"),
            ("question", "n", "ถอนเงินขั้นต่ำกี่บาท{q}"),
            ("troubleshooting", "g", "โอนเงินแล้วแต่ระบบขึ้นว่ารายการล้มเหลว ต้องทำยังไง{q}"),
            ("request", "n", "ขอคืนเงินรายการ {ref} ได้ไหม{q}"),
            ("question", "n", "ฝากผ่านทรูมันนี่วอลเล็ทได้ไหม{q}"),
            ("complaint", "g", "ยอดถอนได้รับไม่ครบ ขาดไป {amt} บาท{p}"),
            ("question", "n", "ถอนเงินเข้าบัญชีธนาคารใช้เวลานานไหม{q}"),
            ("troubleshooting", "g", "สแกนคิวอาร์โค้ดฝากเงินไม่ได้ ขึ้นว่าหมดเวลา{p}"),
        ),
        "account": (
            ("troubleshooting", "g", "เข้าสู่ระบบไม่ได้ ขึ้นว่ารหัสผ่านไม่ถูกต้อง{p}"),
            ("request", "n", "ขอเปลี่ยนเบอร์โทรศัพท์ที่ผูกกับบัญชี{p}"),
            ("question", "n", "ลืมรหัสผ่าน ต้องรีเซ็ตยังไง{q}"),
            ("complaint", "g", "บัญชีโดนล็อกโดยไม่มีเหตุผล ไม่พอใจมาก{p}"),
            ("request", "n", "อยากเพิ่มบัญชีธนาคารใหม่ในโปรไฟล์{p}"),
            ("question", "n", "ยืนยันตัวตนต้องใช้เอกสารอะไรบ้าง{q}"),
        ),
        "technical_issue": (
            ("troubleshooting", "g", "เว็บโหลดช้ามาก เข้าเกมไม่ได้เลย{p}"),
            ("troubleshooting", "g", "แอปเด้งออกทุกครั้งที่กดเข้าหน้าฝากเงิน{p}"),
            ("complaint", "g", "ระบบขึ้น error ตลอด เล่นต่อไม่ได้{p}"),
            ("question", "n", "ตอนนี้ระบบปิดปรับปรุงอยู่หรือเปล่า{q}"),
            ("troubleshooting", "g", "ไม่ได้รับรหัส OTP ทางข้อความ{p}"),
        ),
        "general_inquiry": (
            ("question", "n", "สมัครสมาชิกยังไง{q}"),
            ("question", "n", "ติดต่อแอดมินได้ช่องทางไหนบ้าง{q}"),
            ("question", "n", "เปิดให้บริการตลอด 24 ชั่วโมงไหม{q}"),
            ("question", "n", "วิธีใช้โค้ดโปรโมชั่นทำยังไง{q}"),
            ("question", "n", "มีไลน์ของแอดมินไหม{q}"),
        ),
        "pricing": (
            ("question", "n", "โปรโมชั่นสมาชิกใหม่ได้โบนัสกี่เปอร์เซ็นต์{q}"),
            ("question", "n", "ถอนเงินมีค่าธรรมเนียมไหม{q}"),
            ("purchase_intent", "p", "สนใจสมัครแพ็กเกจ VIP ราคาเท่าไหร่{q}"),
            ("complaint", "g", "ทำไมค่าธรรมเนียมแพงขึ้นเยอะเลย{q}"),
            ("purchase_intent", "n", "อยากเติมเงิน {amt} บาทเพื่อรับโบนัส ต้องทำยังไง{q}"),
        ),
        "feature_request": (
            ("request", "n", "อยากให้มีระบบฝากถอนผ่านพร้อมเพย์อัตโนมัติ{p}"),
            ("request", "n", "ช่วยเพิ่มการแจ้งเตือนตอนยอดเงินเข้าด้วย{p}"),
            ("feedback", "p", "ถ้ามีโหมดกลางคืนในแอปจะดีมากเลย{p}"),
        ),
        "data_privacy": (
            ("question", "n", "ข้อมูลส่วนตัวที่ให้ไปถูกเก็บไว้อย่างไร{q}"),
            ("request", "n", "ขอลบบัญชีและข้อมูลส่วนตัวทั้งหมด{p}"),
            ("complaint", "g", "ได้รับ SMS แปลกๆ ข้อมูลรั่วหรือเปล่า{q}"),
        ),
        "integration": (
            ("question", "n", "มี API สำหรับพาร์ทเนอร์ไหม{q}"),
            ("request", "n", "ขอเอกสาร API สำหรับเชื่อมต่อระบบ{p}"),
            ("troubleshooting", "g", "เรียก API แล้วได้ error 401 ตลอด{p}"),
        ),
        "feedback": (
            ("feedback", "p", "แอปใช้งานง่ายมาก ชอบมาก{p}"),
            ("feedback", "g", "แอดมินตอบช้ามาก ควรปรับปรุง{p}"),
            ("feedback", "p", "บริการดีมาก ถอนเงินไวสุดๆ{p}"),
        ),
    },
    generic={
        "greeting": ("สวัสดี{p}", "แอดมินอยู่ไหม{q}", "สวัสดีตอนเช้า{p}"),
        "gratitude": ("ขอบคุณมาก{p}", "ขอบคุณนะ{q}", "ได้รับแล้ว ขอบคุณมาก{p}"),
        "farewell": ("แค่นี้ก่อนนะ{q}", "ไว้ค่อยติดต่อใหม่นะ{q}", "โอเค เข้าใจแล้ว{p}"),
    },
    clauses={
        "positive": ("บริการดีมาก{p}", "ชอบเว็บนี้มาก{p}", "แอดมินน่ารักมาก{p}"),
        "negative": ("รอนานมากแล้วนะ{q}", "ผิดหวังมาก{p}", "แย่มากเลย{p}"),
        "mixed": ("เว็บดีนะ แต่ฝากถอนช้าไปหน่อย{p}", "ปกติบริการดี แต่รอบนี้แย่มาก{p}"),
    },
    answers={
        "payments": (
            "ขออนุญาตตรวจสอบรายการให้นะคะ โดยปกติยอดฝากจะเข้าภายใน 5 นาที "
            "หากเกิน 15 นาทีรบกวนส่งสลิปการโอนให้แอดมินค่ะ",
            "รายการถอนของลูกค้าอยู่ระหว่างดำเนินการค่ะ ระบบจะโอนเข้าบัญชีภายใน 30 นาทีค่ะ",
            "ถอนเงินขั้นต่ำ 100 บาท และไม่มีค่าธรรมเนียมค่ะ",
        ),
        "account": (
            "ลูกค้าสามารถรีเซ็ตรหัสผ่านได้ที่เมนูลืมรหัสผ่านหน้าเข้าสู่ระบบค่ะ",
            "แอดมินปลดล็อกบัญชีให้เรียบร้อยแล้วค่ะ กรุณาลองเข้าสู่ระบบอีกครั้งค่ะ",
        ),
        "technical_issue": (
            "ขออภัยในความไม่สะดวกค่ะ ตอนนี้ทีมงานกำลังแก้ไขปัญหา รบกวนล้างแคชแล้วลองใหม่อีกครั้งค่ะ",
            "ระบบกลับมาใช้งานได้ตามปกติแล้วค่ะ รบกวนลองเข้าใหม่อีกครั้งนะคะ",
        ),
        "general_inquiry": (
            "ลูกค้าสามารถสมัครสมาชิกได้ที่หน้าแรกของเว็บไซต์ กรอกเบอร์โทรศัพท์และบัญชีธนาคารได้เลยค่ะ",
            "แอดมินให้บริการตลอด 24 ชั่วโมงค่ะ",
        ),
        "pricing": (
            "โปรโมชั่นสมาชิกใหม่รับโบนัส 50% สูงสุด 1,000 บาทค่ะ",
            "การถอนเงินไม่มีค่าธรรมเนียมค่ะ",
        ),
        "feature_request": ("ขอบคุณสำหรับข้อเสนอแนะค่ะ แอดมินจะส่งเรื่องให้ทีมพัฒนาพิจารณานะคะ",),
        "data_privacy": (
            "ข้อมูลส่วนตัวของลูกค้าถูกเข้ารหัสและเก็บรักษาตามนโยบายความเป็นส่วนตัวค่ะ",
            "แอดมินส่งคำขอลบข้อมูลให้ทีมที่เกี่ยวข้องแล้วค่ะ จะดำเนินการภายใน 7 วันค่ะ",
        ),
        "integration": ("สำหรับพาร์ทเนอร์ รบกวนติดต่อทีมงานทางอีเมลเพื่อขอเอกสาร API ค่ะ",),
        "feedback": ("ขอบคุณสำหรับคำติชมค่ะ แอดมินจะนำไปปรับปรุงบริการให้ดียิ่งขึ้นค่ะ",),
        "greeting": ("สวัสดีค่ะ มีอะไรให้แอดมินช่วยเหลือคะ",),
        "gratitude": ("ยินดีให้บริการค่ะ หากมีข้อสงสัยเพิ่มเติมติดต่อได้ตลอด 24 ชั่วโมงค่ะ",),
        "farewell": ("ขอบคุณที่ใช้บริการค่ะ ขอให้โชคดีนะคะ",),
    },
    apologies=("ขออภัยในความไม่สะดวกค่ะ ", "ต้องขออภัยด้วยนะคะ "),
    handoff=" แอดมินจะส่งต่อเรื่องให้เจ้าหน้าที่ดูแลต่อนะคะ #AGENT",
    titles={
        "payments": "ปัญหาฝากถอนเงิน",
        "account": "ปัญหาบัญชีผู้ใช้",
        "technical_issue": "ระบบขัดข้อง",
        "general_inquiry": "สอบถามทั่วไป",
        "pricing": "สอบถามโปรโมชั่น",
        "feature_request": "ข้อเสนอแนะฟีเจอร์",
        "data_privacy": "ข้อมูลส่วนตัว",
        "integration": "สอบถาม API",
        "feedback": "คำติชมบริการ",
    },
    followups=(
        ("question", "n", "ตอนนี้ได้เรื่องหรือยัง{q}"),
        ("complaint", "g", "ยังไม่ได้รับเลย{p} รอนานมากแล้ว"),
        ("troubleshooting", "g", "ลองตามที่บอกแล้วแต่ยังไม่ได้{p}"),
        ("request", "n", "ช่วยเช็กให้อีกทีได้ไหม{q}"),
        ("feedback", "p", "ได้แล้ว{p} เร็วมาก"),
    ),
)

EN = LanguagePhrases(
    code="en",
    name="English",
    share=0.22,
    locale="en-us",
    currency="USD",
    utc_offset=-5,
    amount_median=40.0,
    amount_step=5,
    openers=("Hi! ", "Hello. ", "Hey there! ", "Good evening! ", "Hi admin! "),
    core={
        "payments": (
            (
                "question",
                "n",
                "I deposited {amt} USD {mins} minutes ago, why is it not showing in my balance?",
            ),
            (
                "complaint",
                "g",
                "My withdrawal of {amt} USD has been pending since yesterday and "
                "I still haven't received it.",
            ),
            ("request", "n", "Can you please check deposit {ref} for me?"),
            ("question", "n", "What is the minimum withdrawal amount?"),
            (
                "troubleshooting",
                "g",
                "I transferred the money but the payment failed with an error, what should I do?",
            ),
            ("request", "n", "I would like a refund for transaction {ref}."),
            ("question", "n", "How long does a withdrawal to my bank account usually take?"),
            ("complaint", "g", "I only received part of my withdrawal, {amt} USD is missing."),
        ),
        "account": (
            ("troubleshooting", "g", "I can't log in, it keeps saying my password is wrong."),
            ("request", "n", "Please update the phone number on my account."),
            ("question", "n", "I forgot my password, how do I reset it?"),
            ("complaint", "g", "My account was locked for no reason, this is unacceptable."),
            ("request", "n", "I want to add a new bank account to my profile."),
        ),
        "technical_issue": (
            ("troubleshooting", "g", "The website is extremely slow and the games won't load."),
            ("troubleshooting", "g", "The app crashes every time I open the deposit page."),
            ("complaint", "g", "I keep getting an error message and can't continue playing."),
            ("question", "n", "Is the system under maintenance right now?"),
        ),
        "general_inquiry": (
            ("question", "n", "How do I sign up for an account?"),
            ("question", "n", "How can I contact a human agent?"),
            ("question", "n", "Is support available 24 hours a day?"),
            ("question", "n", "How to use a promo code?"),
        ),
        "pricing": (
            ("question", "n", "How much bonus do new members get on the first deposit?"),
            ("question", "n", "Are there any fees for withdrawals?"),
            ("purchase_intent", "p", "I'm interested in the VIP package, what is the price?"),
            ("complaint", "g", "Why did the transaction fees go up so much?"),
            (
                "purchase_intent",
                "n",
                "I want to top up {amt} USD to get the bonus, how do I do that?",
            ),
        ),
        "feature_request": (
            ("request", "n", "Please add instant withdrawals via PayPal."),
            ("request", "n", "It would help to get a notification when my deposit arrives."),
            ("feedback", "p", "A dark mode in the app would be awesome."),
        ),
        "data_privacy": (
            ("question", "n", "How is my personal data stored and who can see it?"),
            ("request", "n", "Please delete my account and all my personal data under GDPR."),
            ("complaint", "g", "I got strange SMS messages, was my data leaked?"),
        ),
        "integration": (
            ("question", "n", "Do you offer an API for partners?"),
            ("request", "n", "Could you send me the API documentation for the integration?"),
            ("troubleshooting", "g", "Our API calls keep returning error 401 unauthorized."),
        ),
        "feedback": (
            ("feedback", "p", "The app is really easy to use, great job."),
            ("feedback", "g", "Support replies are way too slow, please improve."),
            ("feedback", "p", "Great service, my withdrawal arrived in minutes."),
        ),
    },
    generic={
        "greeting": ("Hi", "Hello, is anyone there?", "Good morning"),
        "gratitude": ("Thank you so much!", "Got it, thanks for your help.", "Received, thanks!"),
        "farewell": ("Ok, bye.", "That's all for now, goodbye.", "See you later."),
    },
    clauses={
        "positive": ("You guys are always helpful.", "Love your service!", "You are the best."),
        "negative": (
            "This is really frustrating.",
            "I have been waiting for hours!",
            "Very disappointed.",
        ),
        "mixed": (
            "The site is great but this is really annoying.",
            "I like the games, but the payments are terrible.",
        ),
    },
    answers={
        "payments": (
            "I have checked your transaction. Deposits usually arrive within 5 minutes; if it "
            "takes longer than 15 minutes please send us the transfer slip.",
            "Your withdrawal is being processed and will reach your bank account within "
            "30 minutes.",
            "The minimum withdrawal is 10 USD and there are no fees.",
        ),
        "account": (
            "You can reset your password with the Forgot password link on the login page.",
            "I have unlocked your account, please try to log in again.",
        ),
        "technical_issue": (
            "Our team is fixing the issue, please clear your cache and try again.",
            "The system is back to normal now, please try again.",
        ),
        "general_inquiry": (
            "You can sign up on our homepage with your phone number and bank account.",
            "Our support team is available 24/7.",
        ),
        "pricing": (
            "New members get a 50% bonus on the first deposit, up to 100 USD.",
            "Withdrawals are free of charge.",
        ),
        "feature_request": (
            "Thank you for the suggestion, I will forward it to our product team.",
        ),
        "data_privacy": (
            "Your personal data is encrypted and stored according to our privacy policy.",
            "I have forwarded your data deletion request; it will be completed within 7 days.",
        ),
        "integration": (
            "For partner API access please contact our team by email and we will send you "
            "the documentation.",
            "Error 401 means your API key is invalid or expired, please generate a new one.",
        ),
        "feedback": ("Thank you for your feedback, we will use it to improve our service.",),
        "greeting": ("Hello! How can I help you today?",),
        "gratitude": ("You're welcome! Feel free to contact us any time.",),
        "farewell": ("Thank you for contacting us, have a great day!",),
    },
    apologies=("I'm sorry for the inconvenience. ", "We apologize for the trouble. "),
    handoff=" I will transfer you to a human agent now. #AGENT",
    titles={
        "payments": "Deposit and withdrawal issue",
        "account": "Account access",
        "technical_issue": "Technical problem",
        "general_inquiry": "General question",
        "pricing": "Bonus and fees",
        "feature_request": "Feature suggestion",
        "data_privacy": "Personal data request",
        "integration": "API integration",
        "feedback": "Service feedback",
    },
    followups=(
        ("question", "n", "Any update on this?"),
        ("complaint", "g", "Still nothing, I have been waiting for ages."),
        ("troubleshooting", "g", "I tried that but it still doesn't work."),
        ("request", "n", "Can you check again please?"),
        ("feedback", "p", "It works now, that was fast."),
    ),
)

DE = LanguagePhrases(
    code="de",
    name="German",
    share=0.11,
    locale="de-de",
    currency="EUR",
    utc_offset=1,
    amount_median=40.0,
    amount_step=5,
    openers=("Hallo! ", "Guten Tag! ", "Hi! ", "Guten Abend! ", "Servus! "),
    core={
        "payments": (
            (
                "question",
                "n",
                "Ich habe vor {mins} Minuten {amt} EUR eingezahlt, warum ist das Guthaben noch "
                "nicht da?",
            ),
            (
                "complaint",
                "g",
                "Meine Auszahlung über {amt} EUR ist seit gestern ausstehend und ich habe immer "
                "noch nichts erhalten.",
            ),
            ("request", "n", "Können Sie bitte die Einzahlung {ref} prüfen?"),
            ("question", "n", "Wie hoch ist der Mindestbetrag für eine Auszahlung?"),
            (
                "troubleshooting",
                "g",
                "Ich habe überwiesen, aber die Zahlung ist mit einem Fehler fehlgeschlagen. "
                "Was soll ich tun?",
            ),
            ("request", "n", "Ich möchte eine Rückerstattung für die Transaktion {ref}."),
        ),
        "account": (
            (
                "troubleshooting",
                "g",
                "Ich kann mich nicht einloggen, es heißt immer, mein Passwort sei falsch.",
            ),
            ("question", "n", "Ich habe mein Passwort vergessen, wie kann ich es zurücksetzen?"),
            ("complaint", "g", "Mein Konto wurde ohne Grund gesperrt, das ist inakzeptabel."),
            ("request", "n", "Bitte ändern Sie die Telefonnummer in meinem Konto."),
        ),
        "technical_issue": (
            ("troubleshooting", "g", "Die Webseite ist extrem langsam und die Spiele laden nicht."),
            (
                "troubleshooting",
                "g",
                "Die App stürzt jedes Mal ab, wenn ich die Einzahlungsseite öffne.",
            ),
            ("question", "n", "Gibt es gerade Wartungsarbeiten?"),
        ),
        "general_inquiry": (
            ("question", "n", "Wie kann ich ein Konto eröffnen?"),
            ("question", "n", "Wie erreiche ich einen Mitarbeiter?"),
            ("question", "n", "Ist der Support rund um die Uhr erreichbar?"),
        ),
        "pricing": (
            (
                "question",
                "n",
                "Wie hoch ist der Bonus für neue Mitglieder bei der ersten Einzahlung?",
            ),
            ("question", "n", "Fallen Gebühren für Auszahlungen an?"),
            ("purchase_intent", "p", "Ich interessiere mich für das VIP-Paket, was kostet es?"),
            (
                "purchase_intent",
                "n",
                "Ich möchte {amt} EUR aufladen, um den Bonus zu bekommen. Wie geht das?",
            ),
        ),
        "feature_request": (
            ("request", "n", "Bitte bieten Sie Sofortauszahlungen per PayPal an."),
            ("feedback", "p", "Ein Dunkelmodus in der App wäre super."),
        ),
        "data_privacy": (
            ("question", "n", "Wie werden meine persönlichen Daten gespeichert?"),
            ("request", "n", "Bitte löschen Sie mein Konto und alle meine Daten gemäß DSGVO."),
        ),
        "integration": (
            ("question", "n", "Gibt es eine API für Partner?"),
            ("troubleshooting", "g", "Unsere API-Aufrufe liefern ständig den Fehler 401."),
        ),
        "feedback": (
            ("feedback", "p", "Die App ist wirklich einfach zu bedienen, super gemacht."),
            ("feedback", "g", "Der Support antwortet viel zu langsam, bitte verbessern."),
        ),
    },
    generic={
        "greeting": ("Hallo", "Hallo, ist jemand da?"),
        "gratitude": ("Vielen Dank!", "Alles klar, danke für die Hilfe."),
        "farewell": ("Tschüss!", "Das wäre alles, auf Wiedersehen."),
    },
    clauses={
        "positive": ("Ihr seid immer sehr hilfsbereit.", "Ich liebe euren Service!"),
        "negative": (
            "Das ist wirklich ärgerlich.",
            "Ich warte schon seit Stunden!",
            "Sehr enttäuschend.",
        ),
        "mixed": (
            "Die Seite ist toll, aber das hier nervt wirklich.",
            "Die Spiele gefallen mir, aber die Auszahlungen sind furchtbar.",
        ),
    },
    answers={
        "payments": (
            "Ich habe Ihre Transaktion geprüft. Einzahlungen werden normalerweise innerhalb von "
            "5 Minuten gutgeschrieben.",
            "Ihre Auszahlung wird bearbeitet und ist in etwa 30 Minuten auf Ihrem Bankkonto.",
        ),
        "account": (
            "Sie können Ihr Passwort über den Link Passwort vergessen auf der Anmeldeseite "
            "zurücksetzen.",
            "Ich habe Ihr Konto entsperrt, bitte versuchen Sie es erneut.",
        ),
        "technical_issue": (
            "Unser Team arbeitet daran, bitte leeren Sie den Cache und versuchen Sie es erneut.",
        ),
        "general_inquiry": (
            "Sie können sich auf unserer Startseite mit Ihrer Telefonnummer registrieren.",
            "Unser Support ist rund um die Uhr für Sie da.",
        ),
        "pricing": (
            "Neue Mitglieder erhalten 50 % Bonus auf die erste Einzahlung, bis zu 100 EUR.",
            "Auszahlungen sind gebührenfrei.",
        ),
        "feature_request": ("Danke für den Vorschlag, ich leite ihn an unser Produktteam weiter.",),
        "data_privacy": (
            "Ihre Daten werden verschlüsselt und gemäß unserer Datenschutzerklärung gespeichert.",
            "Ihr Löschantrag wurde weitergeleitet und wird innerhalb von 7 Tagen bearbeitet.",
        ),
        "integration": (
            "Für den API-Zugang wenden Sie sich bitte per E-Mail an unser Partnerteam.",
        ),
        "feedback": (
            "Vielen Dank für Ihr Feedback, wir nutzen es, um unseren Service zu verbessern.",
        ),
        "greeting": ("Hallo! Wie kann ich Ihnen helfen?",),
        "gratitude": ("Gern geschehen! Melden Sie sich jederzeit.",),
        "farewell": ("Danke für Ihre Nachricht, einen schönen Tag noch!",),
    },
    apologies=("Entschuldigen Sie die Unannehmlichkeiten. ",),
    handoff=" Ich verbinde Sie jetzt mit einem Mitarbeiter. #AGENT",
    titles={
        "payments": "Problem mit Ein- und Auszahlung",
        "account": "Kontozugang",
        "technical_issue": "Technisches Problem",
        "general_inquiry": "Allgemeine Frage",
        "pricing": "Bonus und Gebühren",
        "feature_request": "Funktionswunsch",
        "data_privacy": "Datenschutzanfrage",
        "integration": "API-Anbindung",
        "feedback": "Feedback zum Service",
    },
    followups=(
        ("question", "n", "Gibt es schon Neuigkeiten?"),
        ("complaint", "g", "Immer noch nichts, ich warte schon ewig."),
        ("troubleshooting", "g", "Habe ich versucht, aber es geht immer noch nicht."),
        ("request", "n", "Können Sie bitte noch einmal nachsehen?"),
    ),
)

ES = LanguagePhrases(
    code="es",
    name="Spanish",
    share=0.10,
    locale="es-es",
    currency="EUR",
    utc_offset=1,
    amount_median=40.0,
    amount_step=5,
    openers=("¡Hola! ", "Buenas tardes. ", "Buenas noches. ", "Hola, buenas. "),
    core={
        "payments": (
            (
                "question",
                "n",
                "Hice un depósito de {amt} EUR hace {mins} minutos, ¿por qué no aparece en mi "
                "saldo?",
            ),
            (
                "complaint",
                "g",
                "Mi retiro de {amt} EUR está pendiente desde ayer y todavía no lo he recibido.",
            ),
            ("request", "n", "¿Pueden revisar el depósito {ref}, por favor?"),
            ("question", "n", "¿Cuál es el monto mínimo de retiro?"),
            (
                "troubleshooting",
                "g",
                "Hice la transferencia pero el pago falló con un error, ¿qué hago?",
            ),
            ("request", "n", "Quiero un reembolso de la transacción {ref}."),
        ),
        "account": (
            (
                "troubleshooting",
                "g",
                "No puedo iniciar sesión, dice que mi contraseña es incorrecta.",
            ),
            ("question", "n", "Olvidé mi contraseña, ¿cómo la restablezco?"),
            ("complaint", "g", "Bloquearon mi cuenta sin motivo, es inaceptable."),
            ("request", "n", "Por favor, cambien el número de teléfono de mi cuenta."),
        ),
        "technical_issue": (
            ("troubleshooting", "g", "La página va lentísima y los juegos no cargan."),
            ("troubleshooting", "g", "La app se cierra cada vez que abro la página de depósitos."),
            ("question", "n", "¿El sistema está en mantenimiento ahora?"),
        ),
        "general_inquiry": (
            ("question", "n", "¿Cómo me registro?"),
            ("question", "n", "¿Cómo puedo hablar con un agente?"),
            ("question", "n", "¿El soporte está disponible las 24 horas?"),
        ),
        "pricing": (
            ("question", "n", "¿Cuánto bono reciben los nuevos miembros en el primer depósito?"),
            ("question", "n", "¿Hay comisiones por retirar?"),
            ("purchase_intent", "p", "Me interesa el paquete VIP, ¿cuál es el precio?"),
            (
                "purchase_intent",
                "n",
                "Quiero recargar {amt} EUR para obtener el bono, ¿cómo lo hago?",
            ),
        ),
        "feature_request": (
            ("request", "n", "Por favor, agreguen retiros instantáneos con PayPal."),
            ("feedback", "p", "Un modo oscuro en la app sería genial."),
        ),
        "data_privacy": (
            ("question", "n", "¿Cómo se guardan mis datos personales?"),
            ("request", "n", "Quiero que eliminen mi cuenta y todos mis datos según el RGPD."),
        ),
        "integration": (
            ("question", "n", "¿Tienen una API para socios?"),
            ("troubleshooting", "g", "Nuestras llamadas a la API devuelven siempre el error 401."),
        ),
        "feedback": (
            ("feedback", "p", "La app es muy fácil de usar, ¡buen trabajo!"),
            ("feedback", "g", "El soporte responde demasiado lento, deberían mejorar."),
        ),
    },
    generic={
        "greeting": ("Hola", "Hola, ¿hay alguien?"),
        "gratitude": ("¡Muchas gracias!", "Perfecto, gracias por la ayuda."),
        "farewell": ("Adiós.", "Eso es todo, hasta luego."),
    },
    clauses={
        "positive": ("Siempre me ayudan mucho.", "¡Me encanta su servicio!"),
        "negative": ("Esto es muy frustrante.", "¡Llevo horas esperando!", "Muy decepcionado."),
        "mixed": (
            "La página es buena, pero esto es muy molesto.",
            "Me gustan los juegos, pero los pagos son un desastre.",
        ),
    },
    answers={
        "payments": (
            "He revisado su transacción. Los depósitos suelen acreditarse en 5 minutos.",
            "Su retiro se está procesando y llegará a su cuenta bancaria en unos 30 minutos.",
        ),
        "account": (
            "Puede restablecer su contraseña con el enlace Olvidé mi contraseña en la página "
            "de inicio de sesión.",
            "He desbloqueado su cuenta, por favor intente de nuevo.",
        ),
        "technical_issue": (
            "Nuestro equipo está solucionando el problema, borre la caché e intente de nuevo.",
        ),
        "general_inquiry": (
            "Puede registrarse en nuestra página principal con su número de teléfono.",
            "Nuestro soporte está disponible 24/7.",
        ),
        "pricing": (
            "Los nuevos miembros reciben un bono del 50 % en el primer depósito, hasta 100 EUR.",
            "Los retiros no tienen comisión.",
        ),
        "feature_request": ("Gracias por la sugerencia, la enviaré a nuestro equipo de producto.",),
        "data_privacy": (
            "Sus datos personales están cifrados y se guardan según nuestra política de "
            "privacidad.",
            "Hemos recibido su solicitud de eliminación; se completará en 7 días.",
        ),
        "integration": (
            "Para acceder a la API de socios, escriba a nuestro equipo por correo electrónico.",
        ),
        "feedback": ("Gracias por sus comentarios, nos ayudan a mejorar.",),
        "greeting": ("¡Hola! ¿En qué puedo ayudarle?",),
        "gratitude": ("¡De nada! Estamos aquí cuando nos necesite.",),
        "farewell": ("Gracias por contactarnos, ¡que tenga un buen día!",),
    },
    apologies=("Lamentamos las molestias. ",),
    handoff=" Le transfiero ahora con un agente. #AGENT",
    titles={
        "payments": "Problema con depósito o retiro",
        "account": "Acceso a la cuenta",
        "technical_issue": "Problema técnico",
        "general_inquiry": "Consulta general",
        "pricing": "Bonos y comisiones",
        "feature_request": "Sugerencia de función",
        "data_privacy": "Solicitud de datos personales",
        "integration": "Integración API",
        "feedback": "Opinión sobre el servicio",
    },
    followups=(
        ("question", "n", "¿Hay alguna novedad?"),
        ("complaint", "g", "Sigo sin recibir nada, llevo mucho tiempo esperando."),
        ("troubleshooting", "g", "Ya lo intenté pero sigue sin funcionar."),
        ("request", "n", "¿Pueden revisarlo otra vez, por favor?"),
    ),
)

FR = LanguagePhrases(
    code="fr",
    name="French",
    share=0.10,
    locale="fr-fr",
    currency="EUR",
    utc_offset=1,
    amount_median=40.0,
    amount_step=5,
    openers=("Bonjour ! ", "Bonsoir ! ", "Salut ! ", "Bonjour. "),
    core={
        "payments": (
            (
                "question",
                "n",
                "J'ai fait un dépôt de {amt} EUR il y a {mins} minutes, pourquoi il n'apparaît "
                "pas sur mon solde ?",
            ),
            (
                "complaint",
                "g",
                "Mon retrait de {amt} EUR est en attente depuis hier et je n'ai toujours "
                "rien reçu.",
            ),
            ("request", "n", "Pouvez-vous vérifier le dépôt {ref}, s'il vous plaît ?"),
            ("question", "n", "Quel est le montant minimum de retrait ?"),
            (
                "troubleshooting",
                "g",
                "J'ai fait le virement mais le paiement a échoué avec une erreur, que dois-je "
                "faire ?",
            ),
            ("request", "n", "Je voudrais un remboursement pour la transaction {ref}."),
        ),
        "account": (
            (
                "troubleshooting",
                "g",
                "Je n'arrive pas à me connecter, il dit que mon mot de passe est incorrect.",
            ),
            ("question", "n", "J'ai oublié mon mot de passe, comment le réinitialiser ?"),
            ("complaint", "g", "Mon compte a été bloqué sans raison, c'est inadmissible."),
            ("request", "n", "Merci de modifier le numéro de téléphone de mon compte."),
        ),
        "technical_issue": (
            ("troubleshooting", "g", "Le site est très lent et les jeux ne se chargent pas."),
            (
                "troubleshooting",
                "g",
                "L'application plante à chaque fois que j'ouvre la page de dépôt.",
            ),
            ("question", "n", "Le système est-il en maintenance en ce moment ?"),
        ),
        "general_inquiry": (
            ("question", "n", "Comment créer un compte ?"),
            ("question", "n", "Comment joindre un conseiller ?"),
            ("question", "n", "Le support est-il disponible 24h/24 ?"),
        ),
        "pricing": (
            ("question", "n", "Quel est le bonus pour les nouveaux membres au premier dépôt ?"),
            ("question", "n", "Y a-t-il des frais de retrait ?"),
            ("purchase_intent", "p", "Je suis intéressé par l'offre VIP, quel est le prix ?"),
            (
                "purchase_intent",
                "n",
                "Je veux recharger {amt} EUR pour obtenir le bonus, comment faire ?",
            ),
        ),
        "feature_request": (
            ("request", "n", "Merci d'ajouter les retraits instantanés par PayPal."),
            ("feedback", "p", "Un mode sombre dans l'application serait génial."),
        ),
        "data_privacy": (
            ("question", "n", "Comment mes données personnelles sont-elles conservées ?"),
            (
                "request",
                "n",
                "Veuillez supprimer mon compte et toutes mes données conformément au RGPD.",
            ),
        ),
        "integration": (
            ("question", "n", "Proposez-vous une API pour les partenaires ?"),
            ("troubleshooting", "g", "Nos appels à l'API renvoient toujours l'erreur 401."),
        ),
        "feedback": (
            ("feedback", "p", "L'application est vraiment simple à utiliser, bravo."),
            ("feedback", "g", "Le support répond beaucoup trop lentement, il faut améliorer ça."),
        ),
    },
    generic={
        "greeting": ("Bonjour", "Bonjour, il y a quelqu'un ?"),
        "gratitude": ("Merci beaucoup !", "Parfait, merci pour votre aide."),
        "farewell": ("Au revoir.", "C'est tout pour moi, bonne journée."),
    },
    clauses={
        "positive": ("Vous êtes toujours très serviables.", "J'adore votre service !"),
        "negative": ("C'est vraiment agaçant.", "J'attends depuis des heures !", "Très déçu."),
        "mixed": (
            "Le site est super, mais là c'est vraiment pénible.",
            "J'aime les jeux, mais les paiements sont catastrophiques.",
        ),
    },
    answers={
        "payments": (
            "J'ai vérifié votre transaction. Les dépôts sont généralement crédités en 5 minutes.",
            "Votre retrait est en cours de traitement et arrivera sur votre compte bancaire "
            "d'ici 30 minutes.",
        ),
        "account": (
            "Vous pouvez réinitialiser votre mot de passe avec le lien Mot de passe oublié sur "
            "la page de connexion.",
            "J'ai débloqué votre compte, veuillez réessayer.",
        ),
        "technical_issue": ("Notre équipe corrige le problème, videz le cache et réessayez.",),
        "general_inquiry": (
            "Vous pouvez vous inscrire sur notre page d'accueil avec votre numéro de téléphone.",
            "Notre support est disponible 24h/24 et 7j/7.",
        ),
        "pricing": (
            "Les nouveaux membres reçoivent un bonus de 50 % sur le premier dépôt, "
            "jusqu'à 100 EUR.",
            "Les retraits sont gratuits.",
        ),
        "feature_request": ("Merci pour la suggestion, je la transmets à notre équipe produit.",),
        "data_privacy": (
            "Vos données personnelles sont chiffrées et conservées selon notre politique de "
            "confidentialité.",
            "Votre demande de suppression a été transmise et sera traitée sous 7 jours.",
        ),
        "integration": ("Pour l'accès à l'API partenaires, contactez notre équipe par e-mail.",),
        "feedback": ("Merci pour votre retour, il nous aide à améliorer notre service.",),
        "greeting": ("Bonjour ! Comment puis-je vous aider ?",),
        "gratitude": ("Avec plaisir ! N'hésitez pas à revenir vers nous.",),
        "farewell": ("Merci de nous avoir contactés, bonne journée !",),
    },
    apologies=("Désolé pour la gêne occasionnée. ",),
    handoff=" Je vous transfère à un conseiller. #AGENT",
    titles={
        "payments": "Problème de dépôt ou de retrait",
        "account": "Accès au compte",
        "technical_issue": "Problème technique",
        "general_inquiry": "Question générale",
        "pricing": "Bonus et frais",
        "feature_request": "Suggestion de fonctionnalité",
        "data_privacy": "Demande sur les données personnelles",
        "integration": "Intégration API",
        "feedback": "Avis sur le service",
    },
    followups=(
        ("question", "n", "Avez-vous du nouveau ?"),
        ("complaint", "g", "Toujours rien, j'attends depuis une éternité."),
        ("troubleshooting", "g", "J'ai essayé mais ça ne marche toujours pas."),
        ("request", "n", "Pouvez-vous vérifier encore une fois ?"),
    ),
)

JA = LanguagePhrases(
    code="ja",
    name="Japanese",
    share=0.04,
    locale="ja-jp",
    currency="JPY",
    utc_offset=9,
    amount_median=5000.0,
    amount_step=500,
    openers=("こんにちは。", "お疲れ様です。", "すみません。"),
    core={
        "payments": (
            (
                "question",
                "n",
                "{mins}分前に{amt}円を入金しましたが、残高に反映されません。なぜですか？",
            ),
            ("complaint", "g", "昨日申請した{amt}円の出金がまだ届いていません。"),
            ("request", "n", "取引番号{ref}の返金をお願いします。"),
        ),
        "account": (
            ("troubleshooting", "g", "ログインできません。パスワードが違うと表示されます。"),
            ("question", "n", "パスワードを忘れました。どうやってリセットできますか？"),
        ),
        "technical_issue": (
            ("troubleshooting", "g", "入金ページを開くたびにアプリが落ちます。"),
            ("question", "n", "現在メンテナンス中ですか？"),
        ),
        "general_inquiry": (
            ("question", "n", "アカウントの登録方法を教えてください。"),
            ("question", "n", "サポートは24時間対応ですか？"),
        ),
        "pricing": (
            ("question", "n", "新規会員のボーナスはいくらですか？"),
            ("purchase_intent", "p", "VIPプランに興味があります。料金はいくらですか？"),
        ),
        "feature_request": (("request", "n", "PayPalでの即時出金を追加してほしいです。"),),
        "data_privacy": (
            ("request", "n", "GDPRに基づいてアカウントと個人データを削除してください。"),
            ("question", "n", "個人情報はどのように保管されていますか？"),
        ),
        "integration": (("question", "n", "パートナー向けのAPIはありますか？"),),
        "feedback": (
            ("feedback", "p", "アプリがとても使いやすいです。"),
            ("feedback", "g", "サポートの返信が遅すぎます。"),
        ),
    },
    generic={
        "greeting": ("こんにちは",),
        "gratitude": ("ありがとうございます！", "助かりました、ありがとうございます。"),
        "farewell": ("失礼します。",),
    },
    clauses={
        "positive": ("いつも丁寧な対応に感謝しています。",),
        "negative": ("本当に困っています。", "何時間も待っています！"),
        "mixed": ("サービスは好きですが、これは本当に不便です。",),
    },
    answers={
        "payments": ("お取引を確認しました。入金は通常5分以内に反映されます。",),
        "account": ("ログイン画面のパスワードをお忘れの方からリセットできます。",),
        "technical_issue": ("現在対応中ですので、キャッシュを削除して再度お試しください。",),
        "general_inquiry": ("サポートは24時間年中無休で対応しております。",),
        "pricing": ("新規会員は初回入金で50%のボーナスを受け取れます。",),
        "feature_request": ("ご提案ありがとうございます。開発チームに共有いたします。",),
        "data_privacy": (
            "お客様の個人情報は暗号化され、プライバシーポリシーに従って保管されています。",
        ),
        "integration": ("パートナー向けAPIについては、メールでお問い合わせください。",),
        "feedback": ("貴重なご意見ありがとうございます。",),
        "greeting": ("こんにちは！ご用件をお聞かせください。",),
        "gratitude": ("どういたしまして。またいつでもご連絡ください。",),
        "farewell": ("お問い合わせありがとうございました。",),
    },
    apologies=("ご不便をおかけして申し訳ございません。",),
    handoff="担当者におつなぎします。#AGENT",
    titles={
        "payments": "入出金の問題",
        "account": "アカウントについて",
        "technical_issue": "技術的な問題",
        "general_inquiry": "一般的な質問",
        "pricing": "ボーナスと手数料",
        "feature_request": "機能のご要望",
        "data_privacy": "個人情報について",
        "integration": "API連携",
        "feedback": "サービスへのご意見",
    },
    followups=(
        ("question", "n", "その後どうなりましたか？"),
        ("troubleshooting", "g", "試しましたが、まだできません。"),
    ),
)

PT = LanguagePhrases(
    code="pt",
    name="Portuguese",
    share=0.03,
    locale="pt-br",
    currency="BRL",
    utc_offset=-3,
    amount_median=150.0,
    amount_step=10,
    openers=("Olá! ", "Boa noite! ", "Oi, tudo bem? "),
    core={
        "payments": (
            (
                "question",
                "n",
                "Fiz um depósito de {amt} BRL há {mins} minutos, por que não aparece no meu saldo?",
            ),
            (
                "complaint",
                "g",
                "Meu saque de {amt} BRL está pendente desde ontem e ainda não recebi.",
            ),
            ("request", "n", "Podem verificar o depósito {ref}, por favor?"),
        ),
        "account": (
            ("troubleshooting", "g", "Não consigo entrar, diz que minha senha está errada."),
            ("question", "n", "Esqueci minha senha, como faço para redefinir?"),
        ),
        "technical_issue": (
            ("troubleshooting", "g", "O app fecha toda vez que abro a página de depósito."),
            ("question", "n", "O sistema está em manutenção agora?"),
        ),
        "general_inquiry": (
            ("question", "n", "Como faço para criar uma conta?"),
            ("question", "n", "O suporte funciona 24 horas?"),
        ),
        "pricing": (
            ("question", "n", "Qual é o bônus para novos membros no primeiro depósito?"),
            ("purchase_intent", "p", "Tenho interesse no pacote VIP, qual é o preço?"),
        ),
        "feature_request": (("request", "n", "Por favor, adicionem saque instantâneo via Pix."),),
        "data_privacy": (
            ("request", "n", "Quero excluir minha conta e todos os meus dados pessoais."),
            ("question", "n", "Como meus dados pessoais são armazenados?"),
        ),
        "integration": (("question", "n", "Vocês têm uma API para parceiros?"),),
        "feedback": (
            ("feedback", "p", "O app é muito fácil de usar, parabéns."),
            ("feedback", "g", "O suporte demora demais para responder."),
        ),
    },
    generic={
        "greeting": ("Olá", "Oi, tem alguém aí?"),
        "gratitude": ("Muito obrigado!", "Beleza, obrigado pela ajuda."),
        "farewell": ("Tchau!", "É só isso, até mais."),
    },
    clauses={
        "positive": ("Vocês são sempre muito prestativos.", "Adoro o serviço de vocês!"),
        "negative": ("Isso é muito frustrante.", "Estou esperando há horas!"),
        "mixed": ("O site é ótimo, mas isso é muito chato.",),
    },
    answers={
        "payments": ("Verifiquei sua transação. Os depósitos costumam cair em até 5 minutos.",),
        "account": (
            "Você pode redefinir a senha pelo link Esqueci minha senha na página de login.",
        ),
        "technical_issue": (
            "Nossa equipe está corrigindo o problema, limpe o cache e tente novamente.",
        ),
        "general_inquiry": ("Nosso suporte funciona 24 horas por dia, 7 dias por semana.",),
        "pricing": ("Novos membros recebem 50% de bônus no primeiro depósito.",),
        "feature_request": ("Obrigado pela sugestão, vou encaminhar para a equipe de produto.",),
        "data_privacy": ("Seus dados pessoais são criptografados e armazenados conforme a LGPD.",),
        "integration": (
            "Para acesso à API de parceiros, entre em contato com nossa equipe por e-mail.",
        ),
        "feedback": ("Obrigado pelo seu feedback, ele nos ajuda a melhorar.",),
        "greeting": ("Olá! Como posso ajudar?",),
        "gratitude": ("De nada! Estamos à disposição.",),
        "farewell": ("Obrigado pelo contato, tenha um ótimo dia!",),
    },
    apologies=("Pedimos desculpas pelo transtorno. ",),
    handoff=" Vou transferir você para um atendente. #AGENT",
    titles={
        "payments": "Problema com depósito ou saque",
        "account": "Acesso à conta",
        "technical_issue": "Problema técnico",
        "general_inquiry": "Dúvida geral",
        "pricing": "Bônus e taxas",
        "feature_request": "Sugestão de recurso",
        "data_privacy": "Dados pessoais",
        "integration": "Integração API",
        "feedback": "Opinião sobre o serviço",
    },
    followups=(
        ("question", "n", "Alguma novidade?"),
        ("troubleshooting", "g", "Já tentei, mas continua sem funcionar."),
    ),
)

VI = LanguagePhrases(
    code="vi",
    name="Vietnamese",
    share=0.03,
    locale="vi-vn",
    currency="VND",
    utc_offset=7,
    amount_median=500000.0,
    amount_step=10000,
    openers=("Xin chào! ", "Chào bạn! ", "Chào admin! "),
    core={
        "payments": (
            (
                "question",
                "n",
                "Tôi đã nạp {amt} VND cách đây {mins} phút, sao số dư vẫn chưa cập nhật?",
            ),
            (
                "complaint",
                "g",
                "Lệnh rút {amt} VND của tôi treo từ hôm qua mà vẫn chưa nhận được tiền.",
            ),
            ("request", "n", "Nhờ kiểm tra giúp tôi giao dịch {ref} với."),
        ),
        "account": (
            ("troubleshooting", "g", "Tôi không đăng nhập được, hệ thống báo sai mật khẩu."),
            ("question", "n", "Tôi quên mật khẩu, làm sao để đặt lại?"),
        ),
        "technical_issue": (
            ("troubleshooting", "g", "Ứng dụng bị thoát mỗi khi tôi mở trang nạp tiền."),
            ("question", "n", "Hệ thống đang bảo trì phải không?"),
        ),
        "general_inquiry": (
            ("question", "n", "Làm thế nào để đăng ký tài khoản?"),
            ("question", "n", "Bộ phận hỗ trợ có làm việc 24/7 không?"),
        ),
        "pricing": (
            ("question", "n", "Thành viên mới được thưởng bao nhiêu khi nạp lần đầu?"),
            ("purchase_intent", "p", "Tôi muốn mua gói VIP, giá bao nhiêu vậy?"),
        ),
        "feature_request": (
            ("request", "n", "Mong các bạn thêm tính năng rút tiền nhanh qua ví điện tử."),
        ),
        "data_privacy": (
            ("request", "n", "Vui lòng xóa tài khoản và toàn bộ dữ liệu cá nhân của tôi."),
            ("question", "n", "Dữ liệu cá nhân của tôi được lưu trữ như thế nào?"),
        ),
        "integration": (("question", "n", "Bên bạn có API cho đối tác không?"),),
        "feedback": (
            ("feedback", "p", "Ứng dụng rất dễ dùng, cảm ơn đội ngũ."),
            ("feedback", "g", "Hỗ trợ trả lời quá chậm, cần cải thiện."),
        ),
    },
    generic={
        "greeting": ("Xin chào", "Có ai ở đó không?"),
        "gratitude": ("Cảm ơn bạn nhiều!", "Tôi nhận được rồi, cảm ơn nhé."),
        "farewell": ("Tạm biệt.", "Vậy thôi, chào bạn."),
    },
    clauses={
        "positive": ("Các bạn luôn hỗ trợ rất nhiệt tình.",),
        "negative": ("Thật sự rất bực mình.", "Tôi đã chờ mấy tiếng rồi!"),
        "mixed": ("Trang web tốt nhưng vụ này thật sự phiền.",),
    },
    answers={
        "payments": (
            "Tôi đã kiểm tra giao dịch của bạn. Tiền nạp thường được cộng trong vòng 5 phút.",
        ),
        "account": ("Bạn có thể đặt lại mật khẩu bằng liên kết Quên mật khẩu ở trang đăng nhập.",),
        "technical_issue": (
            "Đội kỹ thuật đang khắc phục, bạn vui lòng xóa bộ nhớ đệm và thử lại.",
        ),
        "general_inquiry": ("Bộ phận hỗ trợ làm việc 24/7.",),
        "pricing": ("Thành viên mới nhận thưởng 50% cho lần nạp đầu tiên.",),
        "feature_request": ("Cảm ơn góp ý của bạn, tôi sẽ chuyển cho đội sản phẩm.",),
        "data_privacy": (
            "Dữ liệu cá nhân của bạn được mã hóa và lưu trữ theo chính sách bảo mật.",
        ),
        "integration": ("Để dùng API đối tác, vui lòng liên hệ đội ngũ của chúng tôi qua email.",),
        "feedback": ("Cảm ơn phản hồi của bạn.",),
        "greeting": ("Xin chào! Tôi có thể giúp gì cho bạn?",),
        "gratitude": ("Không có gì! Cần gì cứ liên hệ nhé.",),
        "farewell": ("Cảm ơn bạn đã liên hệ, chúc một ngày tốt lành!",),
    },
    apologies=("Xin lỗi vì sự bất tiện. ",),
    handoff=" Tôi sẽ chuyển bạn đến nhân viên hỗ trợ. #AGENT",
    titles={
        "payments": "Vấn đề nạp rút tiền",
        "account": "Truy cập tài khoản",
        "technical_issue": "Sự cố kỹ thuật",
        "general_inquiry": "Câu hỏi chung",
        "pricing": "Thưởng và phí",
        "feature_request": "Góp ý tính năng",
        "data_privacy": "Dữ liệu cá nhân",
        "integration": "Tích hợp API",
        "feedback": "Phản hồi dịch vụ",
    },
    followups=(
        ("question", "n", "Có cập nhật gì chưa?"),
        ("troubleshooting", "g", "Tôi thử rồi mà vẫn không được."),
    ),
)

LANGUAGES: tuple[LanguagePhrases, ...] = (TH, EN, DE, ES, FR, JA, PT, VI)


def tone_name(letter: str) -> str:
    """Full tone name of a core table's tone letter."""
    return _TONE_LETTERS[letter]
