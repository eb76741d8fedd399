"""``--budget``: stop admitting calls once what was spent plus what is in flight would pass it.

Each call is charged the most it can cost when admitted (input estimated from the request's
length, output at its ``max_tokens``, which LLMGenerator sizes from the items it asks for) and
settled with its real cost when it returns, so concurrent calls cannot overshoot the budget
together.
"""

from __future__ import annotations

from flashgen.errors import FlashgenError
from flashgen.models import Usage
from flashgen.providers.base import Completion, CompletionRequest, Provider, WrappedProvider
from flashgen.providers.estimate import request_tokens
from flashgen.providers.pricing import PriceTable


class BudgetExceeded(FlashgenError):
    exit_code = 1


class Budget:
    def __init__(
        self, limit_usd: float, prices: PriceTable, model: str, thinking_tokens: int = 0
    ) -> None:
        self.limit_usd = limit_usd
        # Thinking the provider may add on top of max_tokens (Gemini's budget), billed as output.
        self.thinking_tokens = thinking_tokens
        self.prices = prices
        self.model = model
        self.spent_usd = 0.0
        self.committed_usd = 0.0
        self.refused = 0

    def most(self, request: CompletionRequest, batch: bool = False) -> float:
        """The most ``request`` can cost: its estimated input (schema included), all of its
        ``max_tokens`` and the thinking budget (at the batch price for a batch request)."""
        output = request.max_tokens + self.thinking_tokens
        usage = Usage(input_tokens=request_tokens(request), output_tokens=output)
        return self.prices.cost(self.model, usage, batch=batch)

    def guard(self, provider: Provider) -> Provider:
        return WrappedProvider(provider, self.track)

    async def track(
        self, provider: Provider, request: CompletionRequest, *, batch: bool = False
    ) -> Completion:
        """Charge ``request`` its most, or refuse it; settle with its real cost. ``batch``: it
        goes in a provider batch (``--batch``), priced with the batch discount."""
        charge = self.most(request, batch)
        if self.spent_usd + self.committed_usd + charge > self.limit_usd:
            self.refused += 1
            raise BudgetExceeded(
                f"not run: the budget of ${self.limit_usd:.2f} is reached "
                f"(${self.spent_usd:.4f} spent, ${self.committed_usd:.4f} in flight)",
                "raise --budget, or run again later: finished tasks are cached",
            )
        self.committed_usd += charge
        try:
            completion = await provider.complete(request)
        finally:
            self.committed_usd -= charge
        self.spent_usd += completion.usage.cost_usd
        return completion
