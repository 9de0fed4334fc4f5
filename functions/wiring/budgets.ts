import { StoreBudget } from '../store/deadline';

/**
 * The store budgets, in one place (the simulation imports them). Requests: 1.2 s per
 * call once warm, 10 s for a cold instance's first, 5 s for transactions (on one document they
 * queue behind each other's locks, which is not an outage; every route reads before its first
 * transaction, so an outage still answers 503 in under 2 s, and a transaction past its budget
 * answers 429 busy). Triggers and scheduled jobs: 5 s once warm, 15 s for a cold instance's
 * first; a trigger's first store call may be a transaction (settling an answer), so one past its
 * budget fails the run as unavailable, an outage.
 */
export const apiStoreBudget = () => new StoreBudget(1_200, 10_000, 5_000, true);
export const eventStoreBudget = () => new StoreBudget(5_000, 15_000);
