package org.neguard.api.deploy;

/**
 * One wave's progress.
 *
 * @param state {@code waiting}, {@code running}, {@code succeeded}, {@code failed} or
 *     {@code cancelled}
 * @param waiting devices not yet ordered
 * @param inProgress devices ordered, not yet finished (issued, downloading, installing)
 * @param refused devices never ordered (NE type, rollback, disabled); they count as failed
 */
public record Wave(int number, int size, String state, int waiting, int inProgress,
    int succeeded, int failed, int refused, String startedAt, String finishedAt) {}
