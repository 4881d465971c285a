"""Fixed tables the synthetic data set draws from: platforms, banks with their card prefixes, names.

The BINs are the public six-digit prefixes of debit cards of these banks, so account numbers
look like the real thing to an officer's eye and to a Luhn check; the digits after them are
random, so no generated number is anyone's account.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    code: str
    name: str
    prefix: str  # two capital letters that start every order number of the platform


@dataclass(frozen=True)
class Bank:
    name: str
    bin: str
    length: int  # total digits of an account number, the check digit included


PLATFORMS = {
    platform.code: platform
    for platform in (
        Platform("paylink", "PayLink payments", "PL"),
        Platform("swiftpay", "SwiftPay", "SP"),
    )
}

BANKS = (
    Bank("中国工商银行", "622202", 19),
    Bank("中国农业银行", "622848", 19),
    Bank("中国银行", "621661", 19),
    Bank("中国建设银行", "621700", 19),
    Bank("交通银行", "622260", 19),
    Bank("中国邮政储蓄银行", "621799", 19),
    Bank("招商银行", "622588", 16),
    Bank("中信银行", "622690", 16),
    Bank("上海浦东发展银行", "622521", 16),
    Bank("中国民生银行", "622622", 16),
    Bank("兴业银行", "622909", 18),
    Bank("平安银行", "623058", 19),
)

# Which simulated AFX bank answers for which card prefixes: eleven of the twelve BINs, split among
# the demo's three banks (the demo registers the same BINs). 平安银行 (623058) is left to no
# partner, so a trace meets accounts it cannot route.
BANK_PARTNERS = {
    "bank-east": ("622202", "622848", "621661", "621700"),
    "bank-river": ("622260", "621799", "622588", "622690"),
    "bank-coast": ("622521", "622622", "622909"),
}


def bank_partner_of(account_number: str) -> str | None:
    """The code of the AFX bank that issues this account number, or None (unroutable)."""
    for partner, bins in BANK_PARTNERS.items():
        if account_number.startswith(bins):
            return partner
    return None


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)

GIVEN_NAME_CHARACTERS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华建国"  # one or two of these follow the surname
    "志红玉兰文辉鹏飞海燕晶慧欣怡浩宇子涵梓轩雨婷晓东佳琪俊"
)


@dataclass(frozen=True)
class Telecom:
    code: str
    name: str


# The simulated telecom operators AFX knows (the demo would register the same codes).
TELECOM_PARTNERS = {telecom.code: telecom for telecom in (Telecom("tel-east", "中国电信"),)}

# Numbers no operator blocks, whatever the request: emergency services, the police's own
# anti-fraud and government hotlines, and the operators' customer service lines. A block of
# one is refused `protected_number`.
PROTECTED_NUMBERS = frozenset(
    {
        "110",  # police
        "119",  # fire
        "120",  # ambulance
        "122",  # traffic accidents
        "12110",  # police by text message
        "96110",  # the anti-fraud centres' warning line
        "12345",  # government service hotline
        "12315",  # consumer complaints
        "12321",  # reporting spam calls and messages
        "10000",  # 中国电信 customer service
        "10086",  # 中国移动 customer service
        "10010",  # 中国联通 customer service
    }
)
