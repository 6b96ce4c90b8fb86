import {
  create,
  createFileRegistry,
  type DescService,
  type MessageInitShape,
  setExtension,
} from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  MethodOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import { http } from "#gen/google/api/annotations_pb";
import { type HttpRule, HttpRuleSchema } from "#gen/google/api/http_pb";

/** An HttpRule from its fields. */
export const rule = (init: MessageInitShape<typeof HttpRuleSchema>): HttpRule =>
  create(HttpRuleSchema, init);

const { OPTIONAL } = FieldDescriptorProto_Label;
const { STRING, INT32, MESSAGE } = FieldDescriptorProto_Type;
const field = (name: string, number: number, type: FieldDescriptorProto_Type, typeName = "") => ({
  name,
  jsonName: name,
  number,
  type,
  typeName,
  label: OPTIONAL,
});

/**
 * A made-up `test.Library` service whose `UpdateShelf(Shelf) returns (Shelf)` carries `binding`
 * (and an unannotated `Unbound` RPC), built at run time so tests can try annotations our own
 * protos don't use. Shelf: name, theme, book (Book: title, year).
 */
export function library(binding: HttpRule, streaming = false): DescService {
  const options = create(MethodOptionsSchema);
  setExtension(options, http, binding);
  const file = create(FileDescriptorProtoSchema, {
    name: "test/library.proto",
    package: "test",
    syntax: "proto3",
    messageType: [
      {
        name: "Shelf",
        field: [
          field("name", 1, STRING),
          field("theme", 2, STRING),
          field("book", 3, MESSAGE, ".test.Book"),
        ],
      },
      { name: "Book", field: [field("title", 1, STRING), field("year", 2, INT32)] },
    ],
    service: [
      {
        name: "Library",
        method: [
          {
            name: "UpdateShelf",
            inputType: ".test.Shelf",
            outputType: ".test.Shelf",
            options,
            serverStreaming: streaming,
          },
          { name: "Unbound", inputType: ".test.Shelf", outputType: ".test.Shelf" },
        ],
      },
    ],
  });
  const service = createFileRegistry(file, () => undefined).getService("test.Library");
  if (!service) throw new Error("test.Library missing from the registry");
  return service;
}
