"""Concurrent requests lose nothing: 8 threads x 250 creates give 2,000 distinct ids, all listed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from pcaps_contract.mock import DEV_TOKEN

THREADS = 8
CREATES_PER_THREAD = 250


def test_concurrent_creates_are_all_kept_and_listed(mock_url: str, account: str) -> None:
    def create_many(worker: int) -> list[str]:
        with httpx.Client(base_url=mock_url, headers={"Authorization": f"Bearer {DEV_TOKEN}"}) as client:
            ids = []
            for index in range(CREATES_PER_THREAD):
                response = client.post(
                    f"/accounts/{account}/pcaps/ownership",
                    json={"destination_conf": f"s3://bucket-{worker}-{index}"},
                )
                assert response.status_code == 200, response.text
                ids.append(response.json()["result"]["id"])
            return ids

    with ThreadPoolExecutor(THREADS) as pool:
        created = [ownership_id for ids in pool.map(create_many, range(THREADS)) for ownership_id in ids]
    listed = httpx.get(
        f"{mock_url}/accounts/{account}/pcaps/ownership", headers={"Authorization": f"Bearer {DEV_TOKEN}"}
    ).json()["result"]

    assert len(created) == THREADS * CREATES_PER_THREAD
    assert len(set(created)) == len(created)
    assert sorted(record["id"] for record in listed) == sorted(created)
