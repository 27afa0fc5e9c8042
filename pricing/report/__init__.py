"""HTML reports with PNG plots for a bundle menu or a frontier.

``write_report(result_or_frontier, folder)`` writes ``index.html``, ``result.json`` and the
plots (see `maasmix.pricing.report.render`).
"""

from maasmix.pricing.report.render import detail_point, menu_demand, menu_label, write_report

__all__ = ["detail_point", "menu_demand", "menu_label", "write_report"]
