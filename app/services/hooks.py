"""Standard Webhooks verification for the CMS publish hook."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.errors import NotConfigured, Unauthorized


class _Webhook(Webhook):
    """The library's verifier with a configurable timestamp tolerance."""

    def __init__(self, secret: str, tolerance: timedelta, now: datetime) -> None:
        super().__init__(secret)
        self._tolerance = tolerance
        self._now = now

    # Overrides Webhook.__verify_timestamp (name-mangled); covered by tests with a
    # tolerance other than the library's fixed five minutes.
    def _Webhook__verify_timestamp(self, timestamp_header: str) -> datetime:
        try:
            timestamp = datetime.fromtimestamp(float(timestamp_header), tz=UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise WebhookVerificationError("webhook-timestamp is not a Unix time") from exc
        if timestamp < self._now - self._tolerance:
            raise WebhookVerificationError("webhook-timestamp is too old")
        if timestamp > self._now + self._tolerance:
            raise WebhookVerificationError("webhook-timestamp is in the future")
        return timestamp


def verify_publish(
    body: bytes,
    headers: dict[str, str],
    *,
    secrets: list[str],
    tolerance: timedelta,
    now: datetime,
) -> None:
    """Raise Unauthorized unless one of `secrets` signed this delivery in time."""
    if not secrets:
        raise NotConfigured(
            "The publish web-hook is not configured: set WEBHOOK_SECRETS to one or more "
            "whsec_… secrets (comma-separated)"
        )
    missing = [
        h for h in ("webhook-id", "webhook-timestamp", "webhook-signature") if not headers.get(h)
    ]
    if missing:
        raise Unauthorized(f"Missing Standard Webhooks header(s): {', '.join(missing)}")
    reason = "no signature matches"
    for secret in secrets:
        try:
            _Webhook(secret, tolerance, now).verify(body, headers, json_parse=False)
            return
        except WebhookVerificationError as exc:
            reason = str(exc)
        except ValueError:  # the library's own parsing of garbage headers or a non-UTF-8 body
            reason = "malformed signature, timestamp or body"
    raise Unauthorized(f"Web-hook verification failed: {reason}")


def header_subset(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: headers.get(k, "") for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
