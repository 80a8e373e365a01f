package org.neguard.api.vuln;

/**
 * One feed of the server's vulnerability database: how current the assessment is.
 *
 * @param name the file it was imported from
 * @param kind {@code osv} or {@code nvd}
 * @param newest ISO-8601 modification time of its newest record
 * @param imported ISO-8601 time of its import
 * @param records how many records it holds
 */
public record FeedDate(String name, String kind, String newest, String imported, long records) {}
