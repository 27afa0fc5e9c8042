"""HTML reports with PNG plots for a bundle menu or a frontier.

``write_report(result_or_frontier, folder)`` writes ``index.html``, ``result.json`` and the
plots (see `maasmix.pricing.report.render`).
"""

from maasmix.pricing.report.render import menu_demand, menu_label, write_report

__all__ = ["menu_demand", "menu_label", "write_report"]
