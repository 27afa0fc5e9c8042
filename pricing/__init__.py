"""maasmix.pricing: bundle design — scenarios, demand, the OR-Tools model, frontiers, reports."""
