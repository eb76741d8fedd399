"""``--budget``: stop admitting calls once what was spent plus what is in flight would pass it.

Each call is charged its estimated cost when admitted (input from the request's length, output
from the items it asks for) and settled with its real cost when it returns, so concurrent calls
cannot overshoot the budget together.
"""

from __future__ import annotations

from flashgen.errors import FlashgenError
from flashgen.estimate import expected_output_tokens, request_tokens
from flashgen.models import Usage
from flashgen.pricing import PriceTable
from flashgen.providers.base import Completion, CompletionRequest, Provider, WrappedProvider


class BudgetExceeded(FlashgenError):
    exit_code = 1


class Budget:
    def __init__(
        self,
        limit_usd: float,
        prices: PriceTable,
        model: str,
        cards_per_call: int,
        questions_per_call: int,
    ) -> None:
        self.limit_usd = limit_usd
        self.prices = prices
        self.model = model
        self.items_per_call = {"flashcards": cards_per_call, "questions": questions_per_call}
        self.spent_usd = 0.0
        self.committed_usd = 0.0
        self.refused = 0

    def estimate(self, request: CompletionRequest) -> float:
        usage = Usage(
            input_tokens=request_tokens(request),
            output_tokens=expected_output_tokens(
                request.schema_name,
                self.items_per_call.get(request.schema_name, 1),
                request.max_tokens,
            ),
        )
        return self.prices.cost(self.model, usage)

    def guard(self, provider: Provider) -> Provider:
        return WrappedProvider(provider, self.track)

    async def track(self, provider: Provider, request: CompletionRequest) -> Completion:
        estimate = self.estimate(request)
        if self.spent_usd + self.committed_usd + estimate > self.limit_usd:
            self.refused += 1
            raise BudgetExceeded(
                f"not run: the budget of ${self.limit_usd:.2f} is reached "
                f"(${self.spent_usd:.4f} spent, ${self.committed_usd:.4f} in flight)",
                "raise --budget, or run again later: finished tasks are cached",
            )
        self.committed_usd += estimate
        try:
            completion = await provider.complete(request)
        finally:
            self.committed_usd -= estimate
        self.spent_usd += completion.usage.cost_usd
        return completion
