/*
 * Copyright 2026 The Kiln Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
 * except in compliance with the License. You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software distributed under the
 * License is distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND,
 * either express or implied. See the License for the specific language governing permissions
 * and limitations under the License.
 */

package dev.kiln.format;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseVariableWidthViewVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * String columns stored as Arrow's string views ({@code Utf8View}, format version 4) and read as
 * {@code Utf8}: a generation's pages live in memory (the writer's page, the decoded page, every
 * reader and cache) with {@code Utf8} strings; only their stored form differs. A view column holds
 * inline views only: every value is at most {@value #INLINE_BYTES} bytes, kept in its 16-byte view,
 * and the column has no variadic data buffers. That is what makes views smaller than offsets and
 * data for short strings ({@code docs/benchmarks.md}), and what lets a reader check a page's views
 * by their lengths alone.
 */
final class StringViews {

    /** The most bytes a value of a view column holds: what fits in its view. */
    static final int INLINE_BYTES = BaseVariableWidthViewVector.INLINE_SIZE;

    private static final int VIEW_BYTES = BaseVariableWidthViewVector.ELEMENT_SIZE;

    private StringViews() {}

    /** Whether {@code field} is a string column a generation may store as views. */
    static boolean isString(Field field) {
        return field.getType().getTypeID() == ArrowType.ArrowTypeID.Utf8;
    }

    /** Whether {@code field} is stored as views. */
    static boolean isView(Field field) {
        return field.getType().getTypeID() == ArrowType.ArrowTypeID.Utf8View;
    }

    /** Whether the first {@code rows} values of {@code strings} fit in views (nulls do). */
    static boolean fitsInline(VarCharVector strings, int rows) {
        ArrowBuf offsets = strings.getOffsetBuffer();
        int previous = rows == 0 ? 0 : offsets.getInt(0);
        for (int i = 1; i <= rows; i++) {
            int offset = offsets.getInt((long) i * 4);
            if (offset - previous > INLINE_BYTES) {
                return false;
            }
            previous = offset;
        }
        return true;
    }

    /** The names of {@code schema}'s columns stored as views. */
    static Set<String> viewColumns(Schema schema) {
        Set<String> views = new LinkedHashSet<>();
        for (Field f : schema.getFields()) {
            if (isView(f)) {
                views.add(f.getName());
            }
        }
        return views;
    }

    /** {@code schema} with the string columns named in {@code views} stored as views. */
    static Schema stored(Schema schema, Set<String> views) {
        if (views.isEmpty()) {
            return schema;
        }
        List<Field> fields = new ArrayList<>(schema.getFields().size());
        for (Field f : schema.getFields()) {
            fields.add(
                    views.contains(f.getName()) && isString(f)
                            ? retyped(f, ArrowType.Utf8View.INSTANCE)
                            : f);
        }
        return new Schema(fields, schema.getCustomMetadata());
    }

    /**
     * {@code stored} with its view columns as {@code Utf8}: the schema its pages have in memory.
     */
    static Schema inMemory(Schema stored) {
        if (viewColumns(stored).isEmpty()) {
            return stored;
        }
        List<Field> fields = new ArrayList<>(stored.getFields().size());
        for (Field f : stored.getFields()) {
            fields.add(isView(f) ? retyped(f, ArrowType.Utf8.INSTANCE) : f);
        }
        return new Schema(fields, stored.getCustomMetadata());
    }

    private static Field retyped(Field f, ArrowType type) {
        return new Field(
                f.getName(),
                new FieldType(f.isNullable(), type, f.getDictionary(), f.getMetadata()),
                f.getChildren());
    }

    /**
     * Sets {@code views} to the first {@code rows} values of {@code strings}.
     *
     * @throws IllegalArgumentException if a value is longer than {@value #INLINE_BYTES} bytes
     */
    static void copy(VarCharVector strings, ViewVarCharVector views, int rows) {
        if (views.getValueCapacity() < rows) {
            views.clear();
            views.setInitialCapacity(rows);
            views.allocateNew();
        }
        // Arrow memory is not zeroed: the bytes of a view after its value, and null rows' views,
        // are written as zeros, so that one set of rows always gives the same file.
        views.reset();
        views.zeroVector();
        ArrowBuf data = strings.getDataBuffer();
        for (int i = 0; i < rows; i++) {
            if (strings.isNull(i)) {
                views.setNull(i);
                continue;
            }
            int start = strings.getStartOffset(i);
            int length = strings.getValueLength(i);
            if (length > INLINE_BYTES) {
                throw new IllegalArgumentException(
                        "column '"
                                + strings.getName()
                                + "' is stored as string views of at most "
                                + INLINE_BYTES
                                + " bytes, but row "
                                + i
                                + " holds "
                                + length);
            }
            views.setSafe(i, start, length, data);
        }
        views.setValueCount(rows);
    }

    /**
     * Sets {@code strings} (empty) to the values of {@code views}, checking each view: a length of
     * 0 to {@value #INLINE_BYTES} bytes (a longer one would point into a data buffer, which view
     * columns do not have).
     *
     * @throws IllegalArgumentException naming the column and row of a view that is not inline
     */
    static void copy(ViewVarCharVector views, VarCharVector strings) {
        int rows = views.getValueCount();
        ArrowBuf viewBuffer = views.getFieldBuffers().get(1);
        long total = 0;
        for (int i = 0; i < rows; i++) {
            if (!views.isNull(i)) {
                int length = viewBuffer.getInt((long) i * VIEW_BYTES);
                if (length < 0 || length > INLINE_BYTES) {
                    throw new IllegalArgumentException(
                            "column '"
                                    + views.getName()
                                    + "' has a string view of "
                                    + length
                                    + " bytes at row "
                                    + i
                                    + " (views hold 0 to "
                                    + INLINE_BYTES
                                    + " bytes inline)");
                }
                total += length;
            }
        }
        strings.allocateNew(Math.max(1, total), rows);
        ArrowBuf offsets = strings.getOffsetBuffer();
        ArrowBuf data = strings.getDataBuffer();
        int end = 0;
        offsets.setInt(0, 0);
        for (int i = 0; i < rows; i++) {
            if (views.isNull(i)) {
                strings.setNull(i);
            } else {
                long view = (long) i * VIEW_BYTES;
                int length = viewBuffer.getInt(view);
                data.setBytes(end, viewBuffer, view + 4, length);
                end += length;
                strings.setIndexDefined(i);
            }
            offsets.setInt((long) (i + 1) * 4, end);
        }
        strings.setLastSet(rows - 1);
        strings.setValueCount(rows);
    }
}
