/**
 * {@code report.html}: the self-contained page {@code run}, {@code evaluate} and {@code sweep} write beside
 * {@code metrics.json}. {@link io.distillery.report.ReportInputs} loads what it shows (metrics, each model's
 * {@code history.json} and {@code metadata.json}), {@link io.distillery.report.Charts} renders the PNG charts
 * headless with XChart, {@link io.distillery.report.ReportPage} assembles the escaped HTML with the charts embedded
 * as data URIs, so the page opens offline.
 */
package io.distillery.report;
