#pragma once
// ModelInferRequest/ModelInferResponse (protobuf) to and from the plain structs of http/v2_protocol.h,
// with the same checks and messages as the REST infer where the encodings meet. Elements come from
// contents (bytes_contents for BYTES, bool_contents for BOOL) or, per the protocol, from
// raw_input_contents: one entry per input; BYTES as 4-byte little-endian lengths each followed by the
// bytes, BOOL as one byte per element.
#include <cstddef>
#include <string>
#include <vector>

#include "grpc_predict_v2.pb.h"
#include "http/v2_protocol.h"

namespace uninlu {

// Error(InvalidInput) naming the tensor and what is wrong, Error(LimitExceeded) for more than
// `max_items` texts. The model name and version are checked by the caller.
V2InferRequest parse_grpc_infer_request(const inference::ModelInferRequest& request, std::size_t max_items);

// The answer: output "result", BYTES [N], each element the JSON text of /api/predict's "result"
// (PredictResult::output_json, as written once by the pipeline). In raw_output_contents when the request
// came raw (clients that send raw read raw), else in contents.
void fill_grpc_infer_response(const V2Model& model, const V2InferRequest& request, bool raw,
                              const std::vector<std::string>& results,
                              inference::ModelInferResponse& response);

// ModelMetadataResponse from v2_model_metadata(), so that both protocols describe the same tensors.
void fill_grpc_model_metadata(const V2Model& model, inference::ModelMetadataResponse& response);

}  // namespace uninlu
