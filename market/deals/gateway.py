"""The payment gateway behind a small interface: the official `stripe` client against
localstripe in development and tests, the real API in production (configuration only).

localstripe ignores Idempotency-Key headers, so exactly-once does not rest on them:
the payment row is recorded first, every PaymentIntent carries the payment's id in
its metadata, and `find` looks for an existing intent before a new one is made.
"""

from dataclasses import dataclass

import stripe

TEST_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}


class GatewayUnavailable(Exception):
    """The gateway could not be reached or did not answer: try again later."""


class PaymentRefused(Exception):
    """The gateway answered no (declined card, invalid request): retrying will not help
    until the payer changes something. `reason` is one of REFUSALS, for the product's own
    wording; the gateway's text (English, technical) is for the log only."""

    def __init__(self, message: str, reason: str = "refused"):
        super().__init__(message)
        self.reason = reason


#: why a payment did not go through, as the product words it (see market.formatting)
REFUSALS = ("no_method", "declined", "refused", "unavailable")


@dataclass(frozen=True)
class Intent:
    id: str
    status: str  # Stripe's: requires_capture, succeeded, canceled, requires_payment_method …
    amount: int


def _intent(obj) -> Intent:
    data = obj.to_dict()
    return Intent(id=data["id"], status=data["status"], amount=int(data.get("amount") or 0))


class StripeGateway:
    def __init__(
        self,
        api_key: str,
        api_base: str | None = None,
        timeout: float = 10.0,
        test_cards: bool = False,
    ):
        options = {"base_addresses": {"api": api_base}} if api_base else {}
        self.client = stripe.StripeClient(
            api_key,
            http_client=stripe.RequestsClient(timeout=timeout),
            max_network_retries=0,
            **options,
        )
        self.test_cards = test_cards

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise GatewayUnavailable(str(exc)) from exc
        except stripe.APIError as exc:  # the gateway's own 5xx
            raise GatewayUnavailable(str(exc)) from exc
        except stripe.CardError as exc:
            raise PaymentRefused(str(exc), "declined") from exc
        except stripe.StripeError as exc:
            raise PaymentRefused(str(exc)) from exc

    def ensure_customer(self, enterprise) -> tuple[str, str | None]:
        """Customer id and default payment method; test cards only where configured."""
        customer = enterprise.stripe_customer_id
        if not customer:
            customer = self._call(
                self.client.v1.customers.create,
                params={
                    "name": enterprise.name,
                    "metadata": {"enterprise_id": str(enterprise.id), "uscc": enterprise.uscc},
                },
            ).id
        method = enterprise.stripe_payment_method_id
        if not method and self.test_cards:
            method = self._call(
                self.client.v1.payment_methods.create, params={"type": "card", "card": TEST_CARD}
            ).id
            self._call(self.client.v1.payment_methods.attach, method, params={"customer": customer})
        return customer, method

    def set_card(self, customer: str, card: dict) -> str:
        """A card as the payer's payment method, attached to its customer; its id. Raw card
        numbers reach the server only with test cards (localstripe, development): a live
        deployment collects the card with the gateway's own form instead."""
        if not self.test_cards:
            raise PaymentRefused("raw card data refused outside test mode", "refused")
        method = self._call(
            self.client.v1.payment_methods.create, params={"type": "card", "card": card}
        ).id
        self._call(self.client.v1.payment_methods.attach, method, params={"customer": customer})
        return method

    def authorise(
        self,
        *,
        payment_id: int,
        deal_id: int,
        amount_fen: int,
        currency: str,
        customer: str,
        method: str,
        key: str,
        capture: bool = False,
    ) -> Intent:
        """An intent authorised for later capture, or captured at once (`capture`: a top-up
        for waste already received)."""
        params = {
            "amount": amount_fen,
            "currency": currency,
            "customer": customer,
            "payment_method": method,
            "capture_method": "automatic" if capture else "manual",
            "confirm": True,
            "metadata": {
                "payment_key": key,
                "payment_id": str(payment_id),
                "deal_id": str(deal_id),
            },
        }
        return _intent(
            self._call(
                self.client.v1.payment_intents.create,
                params=params,
                options={"idempotency_key": key},
            )
        )

    def find(self, key: str) -> Intent | None:
        """The intent made for this payment (by its unique key), if an attempt made one.
        The real API could search by metadata; localstripe can only list."""
        params: dict = {"limit": 100}
        while True:
            page = self._call(self.client.v1.payment_intents.list, params=params)
            for obj in page.data:
                if obj.to_dict().get("metadata", {}).get("payment_key") == key:
                    return _intent(obj)
            if not page.has_more or not page.data:
                return None
            params["starting_after"] = page.data[-1].id

    def capture(self, intent_id: str, amount_fen: int, key: str) -> Intent:
        return _intent(
            self._call(
                self.client.v1.payment_intents.capture,
                intent_id,
                params={"amount_to_capture": amount_fen},
                options={"idempotency_key": key},
            )
        )

    def cancel(self, intent_id: str, key: str) -> Intent:
        return _intent(
            self._call(
                self.client.v1.payment_intents.cancel, intent_id, options={"idempotency_key": key}
            )
        )


def gateway_from_config(config) -> StripeGateway:
    """The gateway the configuration names; test cards are never used against live keys."""
    live = config["STRIPE_API_KEY"].startswith("sk_live_")
    return StripeGateway(
        config["STRIPE_API_KEY"],
        config["STRIPE_API_BASE"] or None,
        timeout=config["STRIPE_TIMEOUT_SECONDS"],
        test_cards=config["PAYMENTS_TEST_CARDS"] and not live,
    )
