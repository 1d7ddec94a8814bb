use super::*;

#[test]
fn a_matrix_decodes_with_gaps_and_non_finite_values_missing() {
    let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"model":"a"},"values":[[1700000000,"0.5"],[1700003600,"NaN"],[1700007200.000,"+Inf"],[1700010800,"-Inf"],[1700014400,"12"]]},
        {"metric":{},"values":[]}]},"warnings":["partial\u001b[31m data"]}"#;
    let answer = decode(200, body).unwrap();
    assert_eq!(answer.series.len(), 2);
    assert_eq!(answer.series[0].labels.get("model").map(String::as_str), Some("a"));
    assert_eq!(
        answer.series[0].samples,
        vec![
            (1700000000, Some(0.5)),
            (1700003600, None),
            (1700007200, None),
            (1700010800, None),
            (1700014400, Some(12.0))
        ]
    );
    assert_eq!(answer.warnings.len(), 1);
    assert!(!answer.warnings[0].contains('\u{1b}'), "warnings are sanitised");
}

#[test]
fn a_vector_and_a_scalar_decode_as_one_sample_each() {
    let vector = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"le":"+Inf"},"value":[1700000000.5,"3"]}]}}"#;
    assert_eq!(decode(200, vector).unwrap().series[0].samples, vec![(1700000001, Some(3.0))]);
    let scalar = br#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"7"]}}"#;
    assert_eq!(decode(200, scalar).unwrap().series[0].samples, vec![(1700000000, Some(7.0))]);
    let string = br#"{"status":"success","data":{"resultType":"string","result":[1700000000,"x"]}}"#;
    assert!(decode(200, string).unwrap_err().to_string().contains("type `string`"));
}

#[test]
fn error_envelopes_and_foreign_bodies_are_one_line_each() {
    let bad = br#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \"(\""}"#;
    let err = decode(400, bad).unwrap_err();
    assert!(err.is_permanent());
    assert_eq!(err.to_string(), "bad_data: 1:5: parse error: unexpected \"(\"");
    let timeout = br#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#;
    assert!(!decode(503, timeout).unwrap_err().is_permanent());
    for body in [&b""[..], b"<html>Bad Gateway</html>", b"\"just a string\""] {
        let err = decode(502, body).unwrap_err();
        assert_eq!(err, QueryError::Transport("HTTP 502 with an answer that is not Prometheus's JSON".into()));
    }
    let no_data = br#"{"status":"success"}"#;
    assert!(matches!(decode(200, no_data), Err(QueryError::Transport(_))));
}

#[test]
fn a_long_range_is_cut_in_pieces_under_the_point_limit_without_losing_a_step() {
    assert_eq!(pieces(0, 0, 60, MAX_POINTS), vec![(0, 0)]);
    assert_eq!(pieces(0, 300, 60, MAX_POINTS), vec![(0, 300)]);
    assert_eq!(pieces(0, 600, 60, 4), vec![(0, 180), (240, 420), (480, 600)]);
    // A year of one-minute steps: every grid point once, each piece at most the limit.
    let (start, step) = (1_700_000_000, 60);
    let end = start + 365 * 86_400;
    let all = pieces(start, end, step, MAX_POINTS);
    let mut next = start;
    for (from, to) in &all {
        assert_eq!(*from, next);
        assert!((to - from) / step < MAX_POINTS, "{from}..{to}");
        assert_eq!((to - from) % step, 0);
        next = to + step;
    }
    assert_eq!(next, end + step);
    assert!(pieces(10, 0, 60, MAX_POINTS).is_empty(), "an end before the start asks nothing");
}
