"""Early warnings (预警): rules, lifecycle, the park console and the enterprise answer."""
