package dev.parallel.api.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One task: its position in the whole task list, its id (the item's {@code id}, else the index)
 * and its parameters (shared params overlaid by the task's own).
 */
public record Task(long index, String id, ObjectNode params) {
    public JsonNode param(String name) { return params.get(name); }
}
