"""Manifests made through the services, step by step, for the manifest tests."""

from dataclasses import dataclass
from decimal import Decimal

from market.accounts.models import User
from market.db import utcnow
from market.deals import services as deals
from market.deals.models import Deal
from market.extensions import db
from market.manifests import services as svc
from market.manifests.models import Manifest
from tests import factories

PRICE_YUAN = "2000"  # per tonne: 1 kg = 2 yuan = 200 fen


@dataclass
class Trip:
    """A deal of `quantity` t of steel offcuts, its parties, and a named transporter."""

    deal: Deal
    generator: User
    recycler: User
    transporter: User

    def start(self, declared_kg: int = 5_000, **kw) -> Manifest:
        data = svc.StartInput(declared_kg=declared_kg, transporter_id=self.carrier_id(), **kw)
        manifest = svc.start_manifest(self.generator, self.deal.id, data)
        db.session.commit()
        return manifest

    def carrier_id(self) -> int:
        return self.transporter.enterprise_id

    def pick_up(self, manifest: Manifest, **kw) -> Manifest:
        data = pickup_input(**kw)
        svc.sign_pickup(self.transporter, manifest.id, data)
        db.session.commit()
        return manifest

    def receive(self, manifest: Manifest, received_kg: int | None = None, **kw) -> Manifest:
        data = receipt_input(received_kg or manifest.declared_kg, **kw)
        svc.sign_receipt(self.recycler, manifest.id, data)
        db.session.commit()
        return manifest

    def closed(self, declared_kg: int = 5_000, received_kg: int | None = None, **kw) -> Manifest:
        return self.receive(self.pick_up(self.start(declared_kg)), received_kg, **kw)


def pickup_input(**kw) -> svc.PickupInput:
    data = dict(
        plate="京A12345",
        driver_name="李师傅",
        driver_phone="13912345678",
        picked_up_at=utcnow(),
    )
    data.update(kw)
    return svc.PickupInput(**data)


def receipt_input(received_kg: int, **kw) -> svc.ReceiptInput:
    data = dict(
        received_kg=received_kg,
        received_at=utcnow(),
        treatment="utilise",
        treatment_method="再生利用",
    )
    data.update(kw)
    return svc.ReceiptInput(**data)


def trip(world, quantity: str = "20", price: str = PRICE_YUAN, authorise: bool = True) -> Trip:
    lot = factories.steel_lot(world.generator, quantity=Decimal(quantity))
    recycler = factories.bidder()
    bid = factories.bid(recycler, lot, price=price, quantity=quantity)
    db.session.commit()
    deal = deals.accept_bid(world.generator, bid.id)
    db.session.commit()
    if authorise:
        deals.after_commit_payment(deal)
        db.session.refresh(deal)
    return Trip(deal, world.generator, recycler, world.transporter)
